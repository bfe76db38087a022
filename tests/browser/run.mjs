// Browser tests of the web UI, in Debian's Chromium driven by playwright-core.
//
// Starts `paved demo` on a free port (the demo organisation for a fixed seed,
// ending today, as the pages' windows do), then, in a real browser:
//   - visits every kind of page, on a desktop and a phone-sized viewport, and
//     fails on a console error, an uncaught exception, a failed request, a
//     response of 400 or more, a request to anywhere but pavedroad itself,
//     or a page wider than the screen;
//   - compares the figures on the overview and on a team page with the JSON
//     API's;
//   - follows links by clicking: overview -> a finding's evidence -> the
//     service -> one of its deployments;
//   - saves a full-page screenshot of every page (SCREENSHOTS, default
//     target/browser-screenshots).
//
// Environment: PAVED_BIN (default target/debug/paved), CHROMIUM (default
// /usr/bin/chromium). `node run.mjs --update-docs` also writes the README's
// screenshots to docs/screenshots/.

import { spawn } from 'node:child_process';
import { mkdirSync, copyFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pavedBin = process.env.PAVED_BIN ?? join(root, 'target', 'debug', 'paved');
const chromiumBin = process.env.CHROMIUM ?? '/usr/bin/chromium';
const shots = process.env.SCREENSHOTS ?? join(root, 'target', 'browser-screenshots');
const updateDocs = process.argv.includes('--update-docs');

/** Starts `paved demo`; resolves with its base URL, plan and process. */
function startDemo() {
  return new Promise((resolveStart, rejectStart) => {
    const child = spawn(
      pavedBin,
      ['demo', '--listen', '127.0.0.1:0', '--seed', '42', '--format', 'json'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } },
    );
    let stdout = '';
    let stderr = '';
    let plan;
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const served = stderr.match(/Serving the demo on (http:\/\/[^/\s]+)\//);
      if (served && plan === undefined) {
        plan = JSON.parse(stdout);
        resolveStart({ base: served[1], plan, child });
      }
    });
    child.on('exit', (code) => rejectStart(new Error(`paved demo exited with ${code} before serving:\n${stderr}`)));
    child.on('error', rejectStart);
  });
}

async function json(base, path) {
  const response = await fetch(base + path);
  assert.equal(response.status, 200, `${path} answers 200`);
  return response.json();
}

/** Watches a page for everything a user would see go wrong. */
function watch(page, base) {
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on('request', (request) => {
    if (!request.url().startsWith(base) && !request.url().startsWith('data:')) problems.push(`left pavedroad: ${request.url()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} for ${response.url()}`);
  });
  return problems;
}

const pct = (share) => `${Math.round(share * 100)}%`;

async function main() {
  mkdirSync(shots, { recursive: true });
  const { base, plan, child } = await startDemo();
  const browser = await chromium.launch({ executablePath: chromiumBin, args: ['--no-sandbox'] });
  let failures = 0;
  let passed = 0;
  const check = async (name, body) => {
    try {
      await body();
      passed += 1;
      console.log(`ok   ${name}`);
    } catch (error) {
      failures += 1;
      console.log(`FAIL ${name}\n     ${String(error.message).split('\n').join('\n     ')}`);
    }
  };
  try {
    const report = await json(base, '/api/v1/report');
    const someDeployment = (await json(base, `/api/v1/deployments?service=${plan.platform_pipeline_service}&limit=1`));
    const pages = {
      overview: '/',
      'overview-30-days': '/?days=30',
      'overview-180-days': '/?days=180',
      teams: '/teams',
      'team-platform': `/teams/${plan.platform_team}`,
      'team-healthy': `/teams/${plan.healthy_team}`,
      services: '/services',
      'services-filtered': '/services?verdict=role',
      'service-unowned': `/services/${plan.unowned_service}`,
      'service-pipeline': `/services/${plan.platform_pipeline_service}`,
      report: '/report',
      person: `/people/${plan.after_hours_person}`,
      'data-quality': '/data-quality',
    };
    assert.ok(someDeployment.items.length > 0, `${plan.platform_pipeline_service} has deployments`);
    pages.deployment = `/deployments/${encodeURI(someDeployment.items[0].key)}`;

    for (const [viewport, size] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
      const context = await browser.newContext({ viewport: size });
      for (const [name, path] of Object.entries(pages)) {
        await check(`${viewport} ${name} (${path}) renders cleanly`, async () => {
          const page = await context.newPage();
          const problems = watch(page, base);
          const response = await page.goto(base + path, { waitUntil: 'networkidle' });
          assert.equal(response.status(), 200);
          assert.equal(await page.locator('h1').count(), 1, 'one heading');
          assert.equal(await page.locator('header nav a').count(), 5, 'the sections in the navigation');
          const width = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          assert.ok(width <= 1, `the page is ${width}px wider than the screen`);
          const unlabelled = await page.evaluate(() =>
            [...document.querySelectorAll('svg:not([aria-hidden=true])')].filter((svg) => !svg.querySelector('title')).length);
          // Decorative SVGs (a legend's colour swatch) are hidden from
          // assistive technology and need none.
          assert.equal(unlabelled, 0, 'every chart has a title');
          await page.screenshot({ path: join(shots, `${viewport}-${name}.png`), fullPage: true });
          assert.deepEqual(problems, []);
          await page.close();
        });
      }
      await context.close();
    }

    await check('on a phone the services table shows each service with its owner and verdict', async () => {
      const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
      const page = await phone.newPage();
      await page.goto(base + '/services', { waitUntil: 'networkidle' });
      const header = page.locator('table.services th[data-verdict-column]');
      assert.ok(await header.isVisible(), 'the verdict column is there');
      const box = await header.boundingBox();
      assert.ok(box.x + box.width <= 390, `the verdict column is on screen (ends at ${box.x + box.width}px)`);
      assert.equal(await page.locator('table.services th.wide').first().isVisible(), false, 'the other columns give way');
      await phone.close();
    });

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems = watch(page, base);

    await check('charts use the width of the content', async () => {
      await page.goto(base + '/', { waitUntil: 'networkidle' });
      const [chart, main] = await page.evaluate(() => [
        document.querySelector('figure.chart svg').getBoundingClientRect().width,
        document.querySelector('main').clientWidth,
      ]);
      assert.ok(chart >= main * 0.85, `the chart is ${chart}px of ${main}px`);
      const swatch = await page.evaluate(() => document.querySelector('figure.chart .swatch').getBoundingClientRect().width);
      assert.ok(swatch < 30, `a legend's swatch stays small (${swatch}px)`);
      // The month in progress is partial: marked under its bar and in words.
      const partial = report.test.deploy_own_code.series.at(-1).partial;
      assert.equal(partial, true, 'the 90-day window ends in the month in progress');
      const ticks = await page.locator('figure.chart').first().locator('text.tick').allTextContents();
      assert.ok(ticks.some((t) => t.endsWith('*')), `a partial month is marked: ${ticks}`);
      assert.ok(await page.locator('figure.chart .partial-note').first().isVisible(), 'and explained');
      assert.ok((await page.locator('[data-partial-note]').innerText()).includes('did not decide it'));
    });

    await check('a person page lists every deployment, newest first, paged with a count that matches', async () => {
      const person = plan.platform_members[0];
      const user = (await json(base, `/api/v1/entities/user/default/${person}`));
      assert.ok(user, person);
      await page.goto(`${base}/people/${person}`, { waitUntil: 'networkidle' });
      const heading = await page.locator('#deployments').innerText();
      const total = Number(heading.match(/\((\d+)\)/)[1]);
      const seen = [];
      for (let pages = 0; pages < 50; pages++) {
        const rows = await page.locator('table[data-deployments] tbody tr td:first-child').allInnerTexts();
        seen.push(...rows);
        const older = page.locator('#deployments ~ p.pager a[rel=next]').first();
        if (await older.count() === 0) break;
        await older.click();
        await page.waitForLoadState('networkidle');
      }
      assert.equal(seen.length, total, `every deployment is listed across the pages (${seen.length} of ${total})`);
      const sorted = [...seen].sort().reverse();
      assert.deepEqual(seen, sorted, 'newest first');
      const incident = page.locator('table[data-pages] tbody a[href^="/incidents/"]').first();
      if (await incident.count() > 0) {
        const key = decodeURIComponent((await incident.getAttribute('href')).slice('/incidents/'.length));
        const shown = await incident.innerText();
        const recorded = await json(base, `/api/v1/incidents/${encodeURIComponent(key)}`);
        assert.equal(shown, recorded.title ?? key, 'an incident by its title, linked to its page');
      }
    });

    await check('the overview shows the figures of the JSON API', async () => {
      await page.goto(base + '/', { waitUntil: 'networkidle' });
      // First the answer, in one sentence from the figures.
      const first = page.locator('main > p.period + *');
      assert.equal(await first.getAttribute('data-answer'), '', 'the page opens with the answer');
      const answer = await first.innerText();
      const owners = pct(report.test.deploy_own_code.value);
      assert.ok(answer.includes(`owners made ${owners} of production deployments`), answer);
      assert.ok(answer.includes(`(${report.phase.phase})`), `${answer} names the phase ${report.phase.phase}`);
      assert.ok(answer.includes(`still made ${report.self_service.counts.deployments_by_others}`), answer);
      // Then the measure of success: the latest month's deployments
      // developers performed independently, and those others made for them.
      const latest = report.self_service.series.at(-1).counts;
      const success = await page.locator('[data-success] .card .value').allInnerTexts();
      assert.equal(success[0], String(latest.deployments_by_owners), 'performed independently');
      assert.equal(success[2], String(latest.deployments_by_others), 'made by others');
      const cards = await page.locator("section[aria-labelledby='test'] .cards .card .value").allInnerTexts();
      const lines = ['deploy_own_code', 'on_call_own_services', 'own_pipelines', 'self_provision'];
      lines.forEach((line, i) => {
        const value = report.test[line].value;
        if (value !== null) assert.ok(cards[i].startsWith(pct(value)), `${line}: ${cards[i]} vs ${value}`);
      });
      const deploys = await page.locator("[data-metric='Deployment frequency'] .value").innerText();
      assert.equal(deploys, `${report.dora.deployment_frequency.deployments} deploys`);
      const phase = await page.locator('[data-phase]').innerText();
      assert.equal(phase, report.phase.phase ?? '–');
      const bars = await page.locator('figure.chart').first().locator('table tbody tr').count();
      assert.equal(bars, report.test.deploy_own_code.series.length, 'one row per month in the chart data');
    });

    await check(`the page of ${plan.platform_team} shows the team's report`, async () => {
      const team = await json(base, `/api/v1/report?team=${plan.platform_team}`);
      await page.goto(`${base}/teams/${plan.platform_team}`, { waitUntil: 'networkidle' });
      const deploys = await page.locator("[data-metric='Deployment frequency'] .value").innerText();
      assert.equal(deploys, `${team.dora.deployment_frequency.deployments} deploys`);
      const members = await page.getByText(plan.platform_members[0]).count();
      assert.ok(members > 0, `lists ${plan.platform_members[0]}`);
    });

    await check('clicking from the overview reaches a finding, its service and a deployment', async () => {
      await page.goto(base + '/', { waitUntil: 'networkidle' });
      const evidence = page.locator('section.finding li a[href^="/services/"]').first();
      assert.ok(await evidence.count() > 0, 'a finding names a service');
      const service = await evidence.innerText();
      await evidence.click();
      await page.waitForLoadState('networkidle');
      assert.match(page.url(), /\/services\//);
      assert.ok((await page.locator('h1').innerText()).includes(service.trim()), 'the service page of the evidence');
      const deployment = page.locator('tr[data-deployment] a').first();
      assert.ok(await deployment.count() > 0, 'the service lists its deployments');
      await deployment.click();
      await page.waitForLoadState('networkidle');
      assert.match(page.url(), /\/deployments\//);
      assert.ok((await page.locator('th', { hasText: 'Who' }).count()) === 1, 'the deployment says who deployed it');
      const back = page.locator('td a[href^="/services/"]').first();
      await back.click();
      await page.waitForLoadState('networkidle');
      assert.match(page.url(), /\/services\//);
    });

    await check('the window selector changes the window', async () => {
      await page.goto(base + '/', { waitUntil: 'networkidle' });
      await page.locator('nav.window a', { hasText: '90' }).click();
      await page.waitForLoadState('networkidle');
      assert.match(page.url(), /days=90/);
      const link = new URL(await page.locator('a.json').getAttribute('href'), base);
      const days = (Date.parse(link.searchParams.get('until')) - Date.parse(link.searchParams.get('since'))) / 86400000;
      assert.equal(days, 90, `the JSON link covers ${days} days`);
    });

    await check('the service search filters the list', async () => {
      await page.goto(base + '/services', { waitUntil: 'networkidle' });
      const all = await page.locator('tbody tr').count();
      const search = page.locator('input[name=q]');
      await search.fill(plan.unowned_service);
      await search.press('Enter');
      await page.waitForLoadState('networkidle');
      const rows = await page.locator('tbody tr').count();
      assert.ok(rows >= 1 && rows < all, `${rows} of ${all} services match ${plan.unowned_service}`);
    });

    await check('an unknown page is a readable 404', async () => {
      const response = await page.goto(base + '/services/no-such-service');
      assert.equal(response.status(), 404);
      assert.ok((await page.locator('body').innerText()).toLowerCase().includes('no-such-service'));
      problems.length = 0; // the 404 above was the point
    });

    assert.deepEqual(problems.filter((p) => !p.includes('no-such-service')), []);
    await context.close();

    if (updateDocs) {
      const docs = join(root, 'docs', 'screenshots');
      mkdirSync(docs, { recursive: true });
      copyFileSync(join(shots, 'desktop-overview-180-days.png'), join(docs, 'overview.png'));
      copyFileSync(join(shots, 'desktop-service-pipeline.png'), join(docs, 'service.png'));
      console.log(`wrote ${docs}/overview.png and service.png`);
    }
  } finally {
    await browser.close();
    child.kill('SIGINT');
  }
  console.log(`screenshots in ${shots}`);
  console.log(`${passed} passed, ${failures} failed`);
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
