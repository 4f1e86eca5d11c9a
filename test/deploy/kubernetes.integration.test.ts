import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { applyEnvOverrides, parseAgentConfig } from '../../agent/config/agent-config.js';
import { parseCollectorConfig } from '../../collector/config/collector-config.js';
import { loadBaseline } from '../../shared/core/profile/load-baseline.js';
import { ROOT } from '../helpers/run-cli.js';

/**
 * The Kubernetes manifests (deploy/kubernetes/), parsed and checked: every file is part of the
 * kustomization; every pod meets the Pod Security "restricted" profile plus a read-only root; the
 * agent is a native sidecar with probes, its state on an emptyDir, config and baseline from
 * ConfigMaps, an IRSA-annotated ServiceAccount; the collector has a Deployment, a Service, a volume
 * for its state; the configs inside pass the real config schemas and name baselines that are there.
 */
const DIR = join(ROOT, 'deploy', 'kubernetes');
type Obj = Record<string, unknown>;
type Container = { name: string; image: string; args?: string[]; env?: { name: string; value?: string; valueFrom?: Obj }[]; ports?: { containerPort: number; name?: string }[];
  securityContext?: Obj; volumeMounts?: { name: string; mountPath: string; subPath?: string }[]; restartPolicy?: string;
  startupProbe?: { httpGet?: { path: string; port: number } }; readinessProbe?: { httpGet?: { path: string; port: number } }; livenessProbe?: { httpGet?: { path: string; port: number } } };
type PodSpec = { securityContext?: Obj; initContainers?: Container[]; containers: Container[]; volumes?: (Obj & { name: string })[]; serviceAccountName?: string;
  terminationGracePeriodSeconds?: number; hostNetwork?: boolean; hostPID?: boolean; hostIPC?: boolean };
type Resource = Obj & { kind: string; metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> }; spec?: Obj; file: string };

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}

/** Every resource the kustomization tree includes, and every file it names. */
function kustomize(dir: string): { resources: Resource[]; named: Set<string>; generated: Map<string, string[]> } {
  const k = parseAllDocuments(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { resources?: string[]; configMapGenerator?: { name: string; files: string[] }[] };
  const named = new Set([join(dir, 'kustomization.yaml')]);
  const resources: Resource[] = [];
  const generated = new Map<string, string[]>();
  for (const g of k.configMapGenerator ?? []) {
    generated.set(g.name, g.files.map((f) => join(dir, f)));
    for (const f of g.files) named.add(join(dir, f));
  }
  for (const r of k.resources ?? []) {
    const path = join(dir, r);
    expect(existsSync(path), `${relative(ROOT, dir)}: resource ${r} is missing`).toBe(true);
    if (statSync(path).isDirectory()) {
      const sub = kustomize(path);
      resources.push(...sub.resources);
      sub.named.forEach((f) => named.add(f));
      sub.generated.forEach((v, key) => generated.set(key, v));
    } else {
      named.add(path);
      for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) resources.push({ ...(doc.toJS() as Resource), file: relative(ROOT, path) });
    }
  }
  return { resources, named, generated };
}

const { resources, named, generated } = kustomize(DIR);
const deployments = resources.filter((r) => r.kind === 'Deployment');
const podOf = (d: Resource): PodSpec => (d.spec as { template: { spec: PodSpec } }).template.spec;
const deployment = (name: string): Resource => deployments.find((d) => d.metadata.name === name)!;
const allContainers = (p: PodSpec): Container[] => [...(p.initContainers ?? []), ...p.containers];
const env = (c: Container): Map<string, string | Obj> => new Map((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom!]));
/** A config file from a generated ConfigMap, by the ConfigMap name and the file name. */
const configFile = (map: string, name: string): string => generated.get(map)!.find((f) => f.endsWith(`/${name}`))!;

describe('Kubernetes manifests', () => {
  it('are all part of the kustomization, and every resource names what it needs', () => {
    expect(files(DIR).filter((f) => !named.has(f)).map((f) => relative(ROOT, f))).toEqual([]);
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['driftwatch-collector', 'loans-model']);
    const namespace = resources.find((r) => r.kind === 'Namespace')!;
    expect(namespace.metadata.labels!['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  for (const name of ['loans-model', 'driftwatch-collector']) {
    it(`${name}: every container meets Pod Security "restricted" with a read-only root filesystem`, () => {
      const pod = podOf(deployment(name));
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.hostNetwork ?? false).toBe(false);
      expect(pod.hostPID ?? false).toBe(false);
      expect(pod.hostIPC ?? false).toBe(false);
      expect((pod.volumes ?? []).filter((v) => 'hostPath' in v)).toEqual([]);
      for (const c of allContainers(pod)) {
        const sc = c.securityContext as { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; privileged?: boolean; runAsUser?: number; capabilities?: { drop?: string[]; add?: string[] }; seccompProfile?: { type: string } };
        expect(sc, c.name).toBeDefined();
        expect(sc.allowPrivilegeEscalation, c.name).toBe(false);
        expect(sc.privileged ?? false, c.name).toBe(false);
        expect(sc.capabilities?.drop, c.name).toContain('ALL');
        expect((sc.capabilities?.add ?? []).filter((a) => a !== 'NET_BIND_SERVICE'), c.name).toEqual([]);
        expect(sc.readOnlyRootFilesystem, c.name).toBe(true);
        expect(sc.runAsUser ?? 1, c.name).not.toBe(0);
        expect(['RuntimeDefault', 'Localhost', undefined], c.name).toContain(sc.seccompProfile?.type);
      }
      // The SIGTERM drain (shutdown.deadlineSeconds, 20 s) fits in the grace period.
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(20);
    });
  }

  it('runs the agent as a native sidecar with probes, state on an emptyDir, config and baseline from ConfigMaps, and an IRSA identity', () => {
    const pod = podOf(deployment('loans-model'));
    const agent = pod.initContainers!.find((c) => c.image === 'driftwatch')!;
    expect(agent.restartPolicy).toBe('Always');
    expect(agent.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 4390 });
    expect(agent.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 4390 });
    expect(agent.startupProbe?.httpGet).toEqual({ path: '/readyz', port: 4390 });
    const mounts = new Map((agent.volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
    const volume = (mountPath: string): Obj => pod.volumes!.find((v) => v.name === mounts.get(mountPath))!;
    const e = env(agent);
    const state = e.get('DRIFTWATCH_STATE__PATH') as string;
    expect(volume(dirname(state))).toHaveProperty('emptyDir');
    expect(volume('/etc/driftwatch/driftwatch.yaml')).toEqual(expect.objectContaining({ configMap: { name: 'driftwatch-config' } }));
    expect(volume('/etc/driftwatch/baselines')).toEqual(expect.objectContaining({ configMap: { name: 'driftwatch-baselines' } }));
    expect(e.get('DRIFTWATCH_INSTANCE_ID')).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    const sa = resources.find((r) => r.kind === 'ServiceAccount' && r.metadata.name === pod.serviceAccountName)!;
    expect(sa.metadata.annotations!['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::\d{12}:role\//);
    // Secrets come from a Secret, never from the manifests.
    for (const c of allContainers(pod)) for (const [k, v] of env(c)) if (/TOKEN/.test(k)) expect(v).toHaveProperty('secretKeyRef');
  });

  it('the agent config in its ConfigMap passes the agent schema, names the mounted baseline, and points at the collector Service', () => {
    const pod = podOf(deployment('loans-model'));
    const agent = pod.initContainers!.find((c) => c.image === 'driftwatch')!;
    const doc = parseAllDocuments(readFileSync(configFile('driftwatch-config', 'driftwatch.yaml'), 'utf8'))[0]!.toJS() as Obj;
    const fromEnv = Object.fromEntries([...env(agent)].map(([k, v]) => [k, typeof v === 'string' ? v : 'secret-from-kubernetes-0123456789']));
    const config = parseAgentConfig(applyEnvOverrides(doc, fromEnv), '/etc/driftwatch', 'driftwatch.yaml');
    expect(agent.args).toEqual(['agent', '--config', '/etc/driftwatch/driftwatch.yaml']);
    for (const m of config.models) {
      expect(dirname(m.baseline)).toBe('/etc/driftwatch/baselines');
      const file = configFile('driftwatch-baselines', m.baseline.split('/').at(-1)!);
      expect(loadBaseline(file).features.length).toBeGreaterThan(0);
    }
    const service = resources.find((r) => r.kind === 'Service' && r.metadata.name === 'driftwatch-collector')!;
    const port = (service.spec as { ports: { port: number }[] }).ports[0]!.port;
    expect(config.sinks.otlp?.endpoint).toBe(`https://${service.metadata.name}:${port}/v1/metrics`);
    // Issue 16, findings 9 and 7: the token goes over TLS, and the pod proves its instance id (its name) with its own client
    // certificate from cert-manager's csi-driver, signed by the CA that signed the collector.
    expect(config.sinks.otlp?.insecure).toBe(false);
    const tls = config.sinks.otlp!.tls!;
    expect(new Set([tls.ca, tls.cert, tls.key].map((f) => dirname(f!))).size).toBe(1);
    const mount = agent.volumeMounts!.find((m) => m.mountPath === dirname(tls.ca!))!;
    const csi = (pod.volumes!.find((v) => v.name === mount.name) as unknown as { csi: { driver: string; volumeAttributes: Record<string, string> } }).csi;
    expect(csi.driver).toBe('csi.cert-manager.io');
    expect(csi.volumeAttributes['csi.cert-manager.io/common-name']).toBe('${POD_NAME}');
    expect(env(agent).get('DRIFTWATCH_INSTANCE_ID')).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    expect(csi.volumeAttributes['csi.cert-manager.io/key-usages']).toMatch(/client auth/);
    const issuer = resources.find((r) => r.kind === 'Issuer' && r.metadata.name === csi.volumeAttributes['csi.cert-manager.io/issuer-name'])!;
    const collectorCert = resources.find((r) => r.kind === 'Certificate' && r.metadata.name === 'driftwatch-collector-tls')!;
    expect((collectorCert.spec as { issuerRef: { name: string } }).issuerRef.name).toBe(issuer.metadata.name);
  });

  it('serves the collector over TLS from a cert-manager certificate for the Service\'s names, and lets only agent pods reach it (issue 16, finding 9)', () => {
    const pod = podOf(deployment('driftwatch-collector'));
    const c = pod.containers[0]!;
    const doc = parseAllDocuments(readFileSync(configFile('driftwatch-collector-config', 'collector.yaml'), 'utf8'))[0]!.toJS() as Obj;
    const config = parseCollectorConfig(applyEnvOverrides(doc, { DRIFTWATCH_RECEIVER__TOKEN: 'secret-from-kubernetes-0123456789' }), '/etc/driftwatch', 'collector.yaml');
    expect(config.receiver.insecure).toBe(false);
    expect(config.receiver.tls!.clientCa).toBe(join(dirname(config.receiver.tls!.cert), 'ca.crt'));
    const tlsMount = c.volumeMounts!.find((m) => m.mountPath === dirname(config.receiver.tls!.cert))!;
    const secret = (pod.volumes!.find((v) => v.name === tlsMount.name) as unknown as { secret: { secretName: string } }).secret.secretName;
    const certificate = resources.find((r) => r.kind === 'Certificate' && (r.spec as { secretName: string }).secretName === secret)!;
    expect((certificate.spec as { dnsNames: string[] }).dnsNames).toContain('driftwatch-collector');
    expect((certificate.spec as { usages: string[] }).usages).toEqual(['server auth']);
    for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) expect(probe?.httpGet).toMatchObject({ scheme: 'HTTPS' });
    const policy = resources.find((r) => r.kind === 'NetworkPolicy')!;
    const spec = policy.spec as { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress: { from: { podSelector: { matchLabels: Record<string, string> } }[]; ports: { port: number }[] }[] };
    expect(spec.podSelector.matchLabels).toEqual({ app: 'driftwatch-collector' });
    expect(spec.policyTypes).toEqual(['Ingress']);
    expect(spec.ingress).toHaveLength(1);
    expect(spec.ingress[0]!.ports).toEqual([{ protocol: 'TCP', port: 4318 }]);
    const agentLabels = (deployment('loans-model').spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    for (const [k, v] of Object.entries(spec.ingress[0]!.from[0]!.podSelector.matchLabels)) expect(agentLabels[k]).toBe(v);
  });

  it('runs the collector behind a Service, with its state on a persistent volume and a config that passes the collector schema', () => {
    const pod = podOf(deployment('driftwatch-collector'));
    const c = pod.containers[0]!;
    const service = resources.find((r) => r.kind === 'Service' && r.metadata.name === 'driftwatch-collector')!;
    const spec = service.spec as { selector: Record<string, string>; ports: { port: number; targetPort: string | number }[] };
    expect(spec.selector).toEqual((deployment('driftwatch-collector').spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels);
    const target = c.ports!.find((p) => p.name === spec.ports[0]!.targetPort || p.containerPort === spec.ports[0]!.targetPort)!;
    expect(target.containerPort).toBe(4318);
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 4318, scheme: 'HTTPS' });
    const e = env(c);
    const stateMount = c.volumeMounts!.find((m) => m.mountPath === dirname(e.get('DRIFTWATCH_STATE__PATH') as string))!;
    const claim = (pod.volumes!.find((v) => v.name === stateMount.name) as { persistentVolumeClaim?: { claimName: string } }).persistentVolumeClaim!.claimName;
    expect(resources.some((r) => r.kind === 'PersistentVolumeClaim' && r.metadata.name === claim)).toBe(true);
    expect((deployment('driftwatch-collector').spec as { strategy: { type: string } }).strategy.type).toBe('Recreate');
    const doc = parseAllDocuments(readFileSync(configFile('driftwatch-collector-config', 'collector.yaml'), 'utf8'))[0]!.toJS() as Obj;
    const fromEnv = Object.fromEntries([...e].map(([k, v]) => [k, typeof v === 'string' ? v : 'secret-from-kubernetes-0123456789']));
    const config = parseCollectorConfig(applyEnvOverrides(doc, fromEnv), '/etc/driftwatch', 'collector.yaml');
    expect(c.args).toEqual(['collector', '--config', '/etc/driftwatch/collector.yaml']);
    expect(config.receiver.port).toBe(4318);
    expect(config.sinks.cloudwatch).toBeDefined();
  });
});

describe('the KServe example (deploy/kserve)', () => {
  const kserveDir = join(ROOT, 'deploy', 'kserve');
  const k = kustomize(kserveDir);
  const isvc = k.resources.find((r) => r.kind === 'InferenceService')!;
  const predictor = (isvc.spec as { predictor: PodSpec & { logger: { url: string; mode: string }; securityContext: Obj } }).predictor;

  it("points the predictor's logger at the driftwatch sidecar's sink on the pod's loopback, with a config the agent schema takes", () => {
    expect(files(kserveDir).filter((f) => !k.named.has(f)).map((f) => relative(ROOT, f))).toEqual([]);
    const sidecar = predictor.containers.find((c) => c.image === 'driftwatch')!;
    const doc = parseAllDocuments(readFileSync(k.generated.get('driftwatch-kserve-config')![0]!, 'utf8'))[0]!.toJS() as Obj;
    const fromEnv = Object.fromEntries([...env(sidecar)].map(([key, v]) => [key, typeof v === 'string' ? v : 'secret-from-kubernetes-0123456789']));
    const config = parseAgentConfig(applyEnvOverrides(doc, fromEnv), '/etc/driftwatch', 'driftwatch.yaml');
    const sink = config.sources.kserveLogger!;
    expect(predictor.logger).toEqual({ mode: 'all', url: `http://${sink.host}:${sink.port}/` });
    expect(sink.models.map((m) => m.inferenceService ?? m.name)).toEqual([isvc.metadata.name]);
    // The baseline it names is the one deploy/kubernetes ships in the driftwatch-baselines ConfigMap.
    for (const m of config.models) expect(existsSync(configFile('driftwatch-baselines', m.baseline.split('/').at(-1)!))).toBe(true);
    // The mapped columns are the baseline's.
    const baseline = loadBaseline(configFile('driftwatch-baselines', 'loans.json'));
    const columns = new Set(baseline.features.map((f) => f.name));
    for (const c of sink.models[0]!.v1!.columns!) expect(columns.has(c)).toBe(true);
  });

  it('runs every container of the predictor pod under Pod Security "restricted", the sidecar with a read-only root', () => {
    expect(predictor.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of predictor.containers) {
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    }
    expect(predictor.containers.find((c) => c.image === 'driftwatch')!.securityContext).toMatchObject({ readOnlyRootFilesystem: true });
    for (const c of predictor.containers) for (const [key, v] of env(c)) if (/TOKEN/.test(key)) expect(v).toHaveProperty('secretKeyRef');
  });
});
