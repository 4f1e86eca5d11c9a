import { parseAgentConfig, type AgentConfig } from '../agent/config/agent-config.js';
import { parseCollectorConfig, type CollectorConfig } from '../collector/config/collector-config.js';
import { loadModelBaseline } from '../shared/core/profile/load-baseline.js';
import type { Egress } from '../shared/pipeline/egress/egress.js';
import { createEgress } from '../shared/pipeline/runtime/create-egress.js';
import { readConfigFile } from '../shared/platform/config/config-file.js';
import { createLogger } from '../shared/platform/logger.js';

/**
 * An operator command's way out (`driftwatch alarms`, `audit verify --cloudwatch`): the agent or
 * collector config it names (a collector config has a `receiver`), and the egress door built from
 * it and its baselines, logging warnings only, as `name`.
 */
export function operatorEgress(configFile: string, name: string): { config: AgentConfig | CollectorConfig; egress: Egress } {
  const { document, baseDir } = readConfigFile(configFile);
  const config = 'receiver' in document ? parseCollectorConfig(document, baseDir, configFile) : parseAgentConfig(document, baseDir, configFile);
  const log = createLogger({ ...config.log, level: 'warn' }, process.stderr, name);
  const profiles = new Map(config.models.map((m) => [m.name, loadModelBaseline(m)]));
  return { config, egress: createEgress(config, profiles, () => undefined, log) };
}
