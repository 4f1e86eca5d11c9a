import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type Tags } from 'yaml';
import { ROOT } from './run-cli.js';

/** The alarms template, deploy/cloudformation/driftwatch-alarms.yaml. */
export const ALARMS_TEMPLATE = join(ROOT, 'deploy', 'cloudformation', 'driftwatch-alarms.yaml');

/** CloudFormation's short-form tags (`!Ref x`, `!Sub [...]`), read as their long forms. */
const CFN_TAGS: Tags = ['Ref', 'Sub', 'GetAtt', 'If', 'Not', 'Equals', 'Join', 'Split', 'Select', 'And', 'Or', 'FindInMap', 'Base64', 'Cidr', 'GetAZs', 'ImportValue']
  .flatMap((name) => {
    const key = name === 'Ref' ? 'Ref' : `Fn::${name}`;
    return [
      { tag: `!${name}`, resolve: (value: string) => ({ [key]: value }) },
      { tag: `!${name}`, collection: 'seq' as const, resolve: (value: { toJSON: () => unknown }) => ({ [key]: value.toJSON() }) },
    ];
  });

/** A CloudFormation template as plain data, intrinsic functions in their long form. */
export function readTemplate<T>(path = ALARMS_TEMPLATE): T {
  return parse(readFileSync(path, 'utf8'), { customTags: CFN_TAGS }) as T;
}

type Node = unknown;

/**
 * Evaluates the intrinsic functions the alarms template uses (Ref, Fn::Sub, Fn::If, Fn::Equals,
 * Fn::Not) for given parameter values and conditions: an independent reading of what
 * CloudFormation would create, to compare with what `driftwatch alarms` sends.
 */
function resolve(node: Node, refs: Record<string, string | string[]>, conditions: Record<string, Node>): Node {
  if (Array.isArray(node)) return node.map((n) => resolve(n, refs, conditions));
  if (node === null || typeof node !== 'object') return node;
  const o = node as Record<string, Node>;
  const [key] = Object.keys(o);
  if (Object.keys(o).length === 1 && key !== undefined) {
    const arg = o[key];
    if (key === 'Ref') {
      if (!(String(arg) in refs)) throw new Error(`unresolved Ref ${String(arg)}`);
      return refs[String(arg)];
    }
    if (key === 'Fn::Sub') {
      const [text, vars] = Array.isArray(arg) ? [arg[0] as string, resolve(arg[1], refs, conditions) as Record<string, string>] : [arg as string, {}];
      return text.replace(/\$\{([\w:]+)\}/g, (_, name: string) => {
        const v = name in vars ? vars[name] : refs[name];
        if (v === undefined) throw new Error(`unresolved \${${name}}`);
        return String(v);
      });
    }
    if (key === 'Fn::If') {
      const [condition, yes, no] = arg as [string, Node, Node];
      return resolve(resolve(conditions[condition], refs, conditions) === true ? yes : no, refs, conditions);
    }
    if (key === 'Fn::Equals') {
      const [a, b] = (arg as Node[]).map((n) => resolve(n, refs, conditions));
      return a === b;
    }
    if (key === 'Fn::Not') return !(resolve((arg as Node[])[0], refs, conditions) as boolean);
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v, refs, conditions)]));
}

const NUMERIC_ALARM_FIELDS = ['Period', 'EvaluationPeriods', 'DatapointsToAlarm', 'Threshold'];

/**
 * The properties of every per-model AWS::CloudWatch::Alarm the template creates for `parameters`
 * (with its defaults for the rest), numbers as numbers.
 */
export function templateModelAlarms(parameters: Record<string, string>): Record<string, unknown>[] {
  const template = readTemplate<{ Parameters: Record<string, { Default?: string | number }>; Conditions: Record<string, Node>; Resources: Record<string, Node> }>();
  const refs: Record<string, string | string[]> = { 'AWS::Region': 'eu-west-1', 'AWS::Partition': 'aws', 'AWS::AccountId': '123456789012' };
  for (const [name, p] of Object.entries(template.Parameters)) if (p.Default !== undefined) refs[name] = String(p.Default);
  Object.assign(refs, parameters);
  const models = String(refs.Models).split(',');
  const loop = template.Resources['Fn::ForEach::ModelAlarms'] as [string, Node, Record<string, { Type: string; Properties: Node }>];
  return models.flatMap((model) => Object.values(loop[2])
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
    .map((r) => {
      const props = resolve(r.Properties, { ...refs, Model: model }, template.Conditions) as Record<string, unknown>;
      for (const f of NUMERIC_ALARM_FIELDS) props[f] = Number(props[f]);
      return props;
    }));
}
