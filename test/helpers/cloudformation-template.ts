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
