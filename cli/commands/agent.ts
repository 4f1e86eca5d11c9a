import type { Command } from 'commander';
import { Agent } from '../../agent/agent.js';
import { loadModelBaseline } from '../../shared/core/profile/load-baseline.js';
import { insecureSettings, loadAgentConfig, type AgentConfig } from '../../agent/config/agent-config.js';
import { createLogger } from '../../shared/platform/logger.js';
import { componentOptions, logWarnings, printConfig, requireConfig, stopSignal, stopWithin } from '../process-lifecycle.js';
import { createApiServer, listen } from '../../agent/sources/http-api.js';
import { DwError } from '../../shared/platform/errors.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { oipProxyHandler } from '../../agent/sources/oip/oip-proxy.js';
import { reverseProxyHandler } from '../../agent/sources/proxy/reverse-proxy.js';
import { checkMetadata, fetchMetadata, metadataProblems } from '../../agent/sources/oip/oip-metadata.js';
import { checkMapping } from '../../agent/sources/inference/exchange-reader.js';


/** Listens on host:port, or fails with DW_ERR_CONFIG naming the config section. */
async function listenOn(server: Server, host: string, port: number, section: string): Promise<string> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
  } catch (err) {
    throw new DwError('DW_ERR_CONFIG', `cannot listen on ${host}:${port} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { field: section });
  }
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

/** The inference reverse proxy (config `sources.oip`), listening; undefined when it is off. */
async function startOipProxy(agent: Agent, log: Logger, stopped: AbortController): Promise<Server | undefined> {
  const oip = agent.config.sources.oip;
  const reader = agent.oipReader;
  if (oip === undefined || reader === undefined) return undefined;
  let upstreamDown = false;
  const server = createServer(oipProxyHandler({
    upstream: new URL(oip.upstream), copyLimitBytes: oip.copyLimitBytes,
    onExchange: (exchange) => reader.read(exchange),
    onUpstreamError: (err) => {
      if (upstreamDown) return;
      upstreamDown = true; // once: a server that is down fails every request
      log.warn({ upstream: oip.upstream, err: err.message }, 'The inference server behind the OIP proxy is unreachable; clients get 502.');
    },
  }));
  if (oip.checkMetadata) {
    const mismatch = (model: string, server: string, problems: string[]): string =>
      `sources.oip: model '${model}' does not fit server model '${server}': ${problems.join('; ')}`;
    const found = await checkMetadata(new URL(oip.upstream), oip.models, agent.oipMetadata,
      (model, server, problems) => log.error({ err: { code: 'DW_ERR_CONFIG' }, model, server, problems }, `${mismatch(model, server, problems)} (its exchanges count as missing_tensor or shape_mismatch; fix sources.oip.models and restart)`),
      { firstTimeoutMs: 2_000, retryMs: 2_000, signal: stopped.signal });
    if (found.length > 0) throw new DwError('DW_ERR_CONFIG', found.map((f) => mismatch(f.model, f.server, f.problems)).join('\n'), { field: 'sources.oip.models' });
    const waiting = [...agent.oipMetadata].filter(([, v]) => v !== 'fits').map(([m]) => m);
    if (waiting.length > 0) log.info({ models: waiting, upstream: oip.upstream }, 'The inference server has not answered for these models yet; their mappings are checked against its metadata when it does.');
  }
  const address = await listenOn(server, oip.host, oip.port, 'sources.oip');
  log.info({ address, upstream: oip.upstream, models: oip.models.map((m) => m.serverModel ?? m.name) }, 'OIP proxy listening.');
  return server;
}

/** The OpenAI-compatible proxy (config `sources.openai`), listening; undefined when it is off. */
async function startOpenaiProxy(agent: Agent, log: Logger): Promise<Server | undefined> {
  const config = agent.config.sources.openai;
  const source = agent.openai;
  if (config === undefined || source === undefined) return undefined;
  let upstreamDown = false;
  const server = createServer(reverseProxyHandler({
    upstream: new URL(config.upstream),
    observe: (req) => source.observe(req),
    rewrite: (req) => source.rewrite(req),
    onUpstreamError: (err) => {
      if (upstreamDown) return;
      upstreamDown = true;
      log.warn({ upstream: config.upstream, err: err.message }, 'The LLM server behind the OpenAI-compatible proxy is unreachable; clients get 502.');
    },
  }));
  const address = await listenOn(server, config.host, config.port, 'sources.openai');
  log.info({ address, upstream: config.upstream, model: config.model }, 'OpenAI-compatible proxy listening.');
  return server;
}

/** The KServe logger sink (config `sources.kserveLogger`), listening; undefined when it is off. */
async function startKserveLogger(agent: Agent, log: Logger): Promise<Server | undefined> {
  const config = agent.config.sources.kserveLogger;
  const sink = agent.kserveLogger;
  if (config === undefined || sink === undefined) return undefined;
  const server = createServer((req, res) => void sink.handle(req, res));
  const address = await listenOn(server, config.host, config.port, 'sources.kserveLogger');
  log.info({ address, inferenceServices: config.models.map((m) => m.inferenceService ?? m.name) }, 'KServe logger sink listening.');
  return server;
}

/** `--check`: the baselines load, the mappings name their columns and, where the server answers, fit its metadata. */
async function checkConfig(config: AgentConfig): Promise<void> {
  for (const m of config.models) {
    const profile = loadModelBaseline(m);
    process.stdout.write(`model '${m.name}': ${profile.features.length} features from ${m.baseline}\n`);
    for (const mapping of config.sources.oip?.models ?? []) if (mapping.name === m.name) checkMapping('sources.oip', mapping, profile);
    for (const mapping of config.sources.kserveLogger?.models ?? []) if (mapping.name === m.name) checkMapping('sources.kserveLogger', mapping, profile);
  }
  const oip = config.sources.oip;
  for (const mapping of oip?.checkMetadata === true ? oip.models.filter((m) => m.inputs.length > 0) : []) {
    const server = mapping.serverModel ?? mapping.name;
    const got = await fetchMetadata(new URL(oip!.upstream), server, 5_000);
    if ('metadata' in got) {
      const problems = metadataProblems(mapping, got.metadata);
      if (problems.length > 0) throw new DwError('DW_ERR_CONFIG', `sources.oip: model '${mapping.name}' does not fit server model '${server}': ${problems.join('; ')}`, { field: 'sources.oip.models' });
      process.stdout.write(`sources.oip: model '${mapping.name}' fits the metadata of server model '${server}'\n`);
    } else {
      process.stdout.write(`sources.oip: server model '${server}' not checked (${'unreachable' in got ? got.unreachable : got.failed}); the agent checks it when the server answers\n`);
    }
  }
  const where = config.api.socket ?? `${config.api.host}:${config.api.port}`;
  process.stdout.write(`config OK: ${config.models.length} model(s), API on ${where}, ${config.windows.seconds} s windows, state ${config.state.path}\n`);
}

/** `driftwatch agent --config FILE`. */
export function registerAgent(program: Command): void {
  componentOptions(program
    .command('agent')
    .description('run the agent: local event API, windows, drift, shipping'), 'agent')
    .action(async (flags: { config?: string; check?: boolean; printConfig?: boolean }) => {
      const config = loadAgentConfig(requireConfig(flags));
      if (flags.printConfig === true) return printConfig(config);
      if (flags.check === true) return await checkConfig(config);
      const stopping = stopSignal();
      const log = createLogger(config.log);
      logWarnings(log);
      for (const { field, message } of insecureSettings(config)) log.warn({ setting: field }, message);
      const agent = new Agent(config, log);
      const server = createApiServer(agent, config.api);
      // Self-telemetry instruments exist only once the SDK is up: load it before the first event.
      // A failure is logged by agent.start() and the agent runs on without it.
      await agent.metrics.startExport().catch(() => undefined);
      let address: string;
      try {
        address = await listen(server, config.api);
      } catch (err) {
        await agent.shutdown(0);
        const where = config.api.socket ?? `${config.api.host}:${config.api.port}`;
        throw new DwError('DW_ERR_CONFIG', `cannot listen on ${where} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { field: 'api' });
      }
      const stopped = new AbortController();
      const sources: (Server | undefined)[] = [];
      try {
        sources.push(await startOipProxy(agent, log, stopped), await startKserveLogger(agent, log), await startOpenaiProxy(agent, log));
      } catch (err) {
        // A source that cannot start (a port taken, a mapping the server's metadata refutes) stops the agent.
        stopped.abort();
        for (const s of [server, ...sources]) s?.close();
        await agent.shutdown(0);
        throw err;
      }
      agent.start();
      log.info({ address, models: config.models.map((m) => m.name), sinks: agent.sinks.map((s) => s.name), state: config.state.path }, 'Agent listening.');
      const signal = await stopping;
      // The sources take no new connections; requests in flight finish (their counting is best effort).
      for (const source of sources) source?.close();
      stopped.abort();
      log.info({ signal }, 'Shutting down: checkpointing open windows and sending what is pending.');
      await stopWithin(config.shutdown.deadlineSeconds, server, (drainMs) => agent.shutdown(drainMs), log);
    });
}
