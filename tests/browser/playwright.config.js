// Playwright drives Debian's Chromium (/usr/bin/chromium); no browser is
// downloaded (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 at install). Run by ctest
// through run.sh, which starts nothing itself: the spec starts `rig serve`.
const { defineConfig } = require('@playwright/test');

module.exports = defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.js/,
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 40000,
  expect: { timeout: 15000 },
  reporter: [['list']],
  outputDir: process.env.PENRIG_ARTEFACTS ? process.env.PENRIG_ARTEFACTS + '/results' : 'test-results',
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1200, height: 900 },
    launchOptions: {
      executablePath: process.env.PENRIG_CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    },
  },
});
