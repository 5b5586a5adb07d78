// Saves a screenshot of a running eddy dashboard once every panel shows
// data: node tests/browser/screenshot.mjs URL PNG [BATCHES]
// (waits until each query has published at least BATCHES results, default 3).
// Used by scripts/dashboard-screenshot.sh for docs/img/dashboard.png.
import { chromium } from 'playwright-core';

const [url, png, batchesArg] = process.argv.slice(2);
if (!url || !png) {
  console.error('usage: node screenshot.mjs URL PNG [BATCHES]');
  process.exit(2);
}
const batches = Number(batchesArg || 3);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US',
                                       timezoneId: 'UTC' });
  await page.goto(url);
  await page.waitForFunction(async (n) => {
    const r = await fetch('/api/v1/queries');
    const q = (await r.json()).queries;
    return q.length > 0 && q.every((x) => x.batchId >= n - 1) &&
           document.querySelectorAll('[data-query]').length === q.length;
  }, batches, { timeout: 60000, polling: 500 });
  // Let the page catch up with the batches the API reported, then draw every
  // chart without animation, so none is caught mid-way.
  await page.waitForTimeout(2500);
  await page.evaluate(() => {
    const d = window.eddyDashboard;
    for (const c of [...Object.values(d.charts), ...Object.values(d.progressCharts)]) {
      c.options.animation = false;
      c.update('none');
    }
  });
  await page.waitForTimeout(300);
  await page.screenshot({ path: png, fullPage: true });
  console.log('saved ' + png);
} finally {
  await browser.close();
}
