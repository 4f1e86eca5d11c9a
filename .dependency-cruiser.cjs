// Import rules of driftwatch (docs/ARCHITECTURE.md, "Import rules"). Run by `npm run lint:imports`,
// which `npm test` runs: a wrong arrow fails with the rule's name, the importing file and the
// imported one.
//
// Layers, lowest first: shared/platform <- shared/core <- shared/offline | shared/pipeline <-
// agent, collector <- cli. Inside shared/pipeline the stages have an order of their own (PIPELINE).

/** A layer may import only the layers before it in this list (offline and pipeline are siblings). */
const LAYERS = [
  { name: 'platform', path: '^shared/platform/', mayImport: [] },
  { name: 'core', path: '^shared/core/', mayImport: ['platform'] },
  { name: 'offline', path: '^shared/offline/', mayImport: ['platform', 'core'] },
  { name: 'pipeline', path: '^shared/pipeline/', mayImport: ['platform', 'core'] },
  { name: 'agent', path: '^agent/', mayImport: ['platform', 'core', 'offline', 'pipeline'] },
  { name: 'collector', path: '^collector/', mayImport: ['platform', 'core', 'offline', 'pipeline'] },
  { name: 'cli', path: '^cli/', mayImport: ['platform', 'core', 'offline', 'pipeline', 'agent', 'collector'] },
];

/**
 * The pipeline's stages, lowest first; a stage may import only earlier ranks. The egress door sits
 * below the sinks (sinks use the door, the door knows no sink); sinks never see the state store;
 * the window closer and the shipper do not know each other (the runtime wires them).
 */
const PIPELINE = [
  ['records'],
  ['state'],
  ['egress'],
  ['telemetry', 'otlp'],
  ['sinks', 'alarms'],
  ['windows'],
  ['shipping'],
  ['runtime'],
];

const layerRules = LAYERS.map((layer) => ({
  layer,
  forbidden: LAYERS.filter((l) => l !== layer && !layer.mayImport.includes(l.name)),
})).filter(({ forbidden }) => forbidden.length > 0).map(({ layer, forbidden }) => ({
  name: `layer-${layer.name}`,
  severity: 'error',
  comment: `${layer.path.slice(1)} may import only ${layer.mayImport.map((n) => LAYERS.find((l) => l.name === n).path.slice(1)).join(', ') || 'itself and packages'} (layers import downward only)`,
  from: { path: layer.path },
  to: { path: forbidden.map((l) => l.path).join('|') },
}));

const stageRules = PIPELINE.flatMap((rank, i) => rank.map((stage) => {
  const above = PIPELINE.slice(i + 1).flat();
  const siblings = rank.filter((s) => s !== stage);
  const forbidden = [...above, ...siblings];
  if (forbidden.length === 0) return [];
  return [{
    name: `pipeline-${stage}`,
    severity: 'error',
    comment: `shared/pipeline/${stage} may not import ${forbidden.map((s) => `shared/pipeline/${s}`).join(', ')} (stages import downward only)`,
    from: { path: `^shared/pipeline/${stage}/` },
    to: { path: `^shared/pipeline/(${forbidden.join('|')})/` },
  }];
}).flat());

module.exports = {
  forbidden: [
    ...layerRules,
    ...stageRules,
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle of imports: split the shared part out',
      from: { path: '^(shared|agent|collector|cli)/' },
      to: { circular: true },
    },
    {
      name: 'sinks-without-store',
      severity: 'error',
      comment: 'A sink gets its windows from the shipper (records/outbox-entry); it never opens the state store',
      from: { path: '^shared/pipeline/sinks/' },
      to: { path: '^shared/pipeline/state/' },
    },
    {
      name: 'agent-without-collector-store',
      severity: 'error',
      comment: 'The received-windows store (dedup of merged contributions) is the collector\'s alone',
      from: { path: '^(agent|shared)/' },
      to: { path: '^shared/pipeline/state/received-store\\.ts$' },
    },
    {
      name: 'sources-upstream',
      severity: 'error',
      comment: 'agent/sources feed the pipeline through interfaces; they import neither the agent nor the windows',
      from: { path: '^agent/sources/' },
      to: { path: '^agent/[^/]+\\.ts$|^shared/pipeline/windows/' },
    },
    {
      name: 'not-to-tests',
      severity: 'error',
      comment: 'Product code never imports test, bench or script code',
      from: { path: '^(shared|agent|collector|cli)/' },
      to: { path: '^(test|bench|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
