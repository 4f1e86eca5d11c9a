import type { Logger } from 'pino';
import type { BaselineProfile } from '../../core/profile/baseline-profile.js';
import { instanceIdOf, namespaceOf, type SinksConfig } from '../sinks/create-sinks.js';
import { EgressAllowlist } from '../egress/egress-allowlist.js';
import { Egress, type RefusalListener } from '../egress/egress.js';

/**
 * The door out for a process, its allowlist built from what the config and the baselines allow:
 * the namespace, the site, this process's identity, the models with their versions, and the
 * baselines' feature names.
 */
export function createEgress(config: SinksConfig & { models: readonly { name: string; versions: readonly string[] }[] }, profiles: ReadonlyMap<string, BaselineProfile>,
  onRefused: RefusalListener, log: Logger): Egress {
  const allowlist = new EgressAllowlist({
    namespace: namespaceOf(config),
    site: config.site,
    instanceId: instanceIdOf(config),
    models: config.models.map((m) => ({ name: m.name, versions: m.versions, features: profiles.get(m.name)!.features.map((f) => f.name) })),
    ...(config.sinks.cloudwatch?.sagemaker === undefined ? {} : { sagemaker: config.sinks.cloudwatch.sagemaker }),
  });
  return new Egress(allowlist, onRefused, log);
}
