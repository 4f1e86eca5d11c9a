/**
 * The report screenshots in docs/images (issue 19): runs the demo into a temporary folder and
 * photographs its drift report in Debian's Chromium at desktop and phone width. Run by hand after
 * the report's look changes; needs `npm run build` and /usr/bin/chromium.
 *
 *   npx tsx scripts/report-screenshots.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../test/helpers/chromium.js';
import { CLI, ROOT } from '../test/helpers/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dw-shots-'));
const demo = spawnSync(process.execPath, [CLI, 'demo', '--out', dir, '--pace', '0'], { encoding: 'utf8' });
if (demo.status !== 0) throw new Error(demo.stderr);
const browser = await launchChromium();
for (const [name, width, height] of [['report-desktop', 1200, 1500], ['report-phone', 390, 1600]] as const) {
  const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: 1 });
  await page.goto(`file://${join(dir, 'drift-report.html')}`);
  await page.waitForFunction("document.body.getAttribute('data-charts') !== null");
  await page.screenshot({ path: join(ROOT, 'docs', 'images', `${name}.png`) });
  await page.close();
}
await browser.close();
process.stdout.write(`wrote docs/images/report-desktop.png and report-phone.png from ${dir}\n`);
