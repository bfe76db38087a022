// Browser tests of signing in to the web UI, in Debian's Chromium driven by
// playwright-core.
//
// Imports the example organisation (examples/acme) into a temporary SQLite
// database, creates a personal token with `paved token create --user`, and
// starts two `paved serve` on it, both with require_sign_in:
//   - one where people sign in with their token, in which a person is sent
//     from a page to the sign-in page, signs in and sees their name, is
//     refused with a wrong token, stays signed in when a page of another
//     site posts a form to pavedroad (refused with 403, twice: from another
//     site, and from another port of the same host, whose requests carry the
//     session cookie), and signs out;
//   - one behind an "authenticating proxy" (playwright's extraHTTPHeaders
//     sends X-Forwarded-Email from 127.0.0.1, the trusted address), where the
//     person is signed in as the User the header names.
// With the example organisation comes tests/browser/deploy-target.yaml, a
// DeployTarget for checkout-api: a person outside its team is refused on
// the Deploy form with every check's reason, and an owner's deploy opens the
// deploy's page, whose log grows without a reload until it succeeds (the
// servers' embedded runners run it; both share the database, and one claims
// it). A member of payments signs in, fills the Python golden path's form on
// /templates and sees the run's log; the new service's page opens from its
// link.
//
// Environment: PAVED_BIN (default target/debug/paved), CHROMIUM (default
// /usr/bin/chromium); PAVED_AUTH_SHOW_LOG=1 prints the first server's log.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pavedBin = process.env.PAVED_BIN ?? join(root, 'target', 'debug', 'paved');
const chromiumBin = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Runs `paved` on `database` and returns its standard output. */
function paved(database, args) {
  return execFileSync(pavedBin, ['--database-url', database, ...args], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
}

/** Starts `paved serve` on `database` with `env`; resolves with its base URL and process. */
function serve(database, env) {
  return new Promise((resolveStart, rejectStart) => {
    const child = spawn(pavedBin, ['--database-url', database, 'serve', '--listen', '127.0.0.1:0'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PAVED_LOG: 'info', ...env },
    });
    let stderr = '';
    let started = false;
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const listening = stderr.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (listening && !started) {
        started = true;
        resolveStart({ base: listening[1], child, log: () => stderr });
      }
    });
    child.on('exit', (code) => {
      if (!started) rejectStart(new Error(`paved serve exited with ${code} before listening:\n${stderr}`));
    });
    child.on('error', rejectStart);
  });
}

/**
 * A page of "another site" that posts a form to `action` as soon as it
 * loads, as a forged request would; served on 127.0.0.1 and reached as
 * `localhost` (another site) or `127.0.0.1` (the same host, another port).
 */
function startAttacker(action) {
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Win a prize</title></head>
<body><form id="f" method="post" action="${action}">
<input type="hidden" name="csrf" value="${'0'.repeat(64)}"><button>Claim</button></form>
<script>document.getElementById('f').submit();</script></body></html>`;
  const server = createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(page);
  });
  return new Promise((resolveStart) => {
    server.listen(0, '127.0.0.1', () => resolveStart({ server, port: server.address().port }));
  });
}

/** Watches a page for what must never happen: a script error or a blocked resource. */
function watch(page) {
  const problems = [];
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) problems.push(`console: ${message.text()}`);
  });
  return problems;
}

async function signedInAs(page) {
  return (await page.locator('header .session').innerText()).replace(/\s+/g, ' ').trim();
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'paved-auth-'));
  const database = join(dir, 'paved.db');
  paved(database, [
    'catalog',
    'import',
    'examples/acme',
    'tests/browser/deploy-target.yaml',
    'examples/templates/python-service/template.yaml',
  ]);
  // Golden paths publish new repositories here.
  const repos = join(dir, 'repos');
  const config = join(dir, 'paved.toml');
  writeFileSync(config, `[scaffold]\nrepositories = "${repos}"\n`);
  const member = paved(database, ['token', 'create', '--user', 'james.carter', '--expires', '1d']).trim();
  const token = paved(database, ['token', 'create', '--user', 'priya.raman', '--expires', '1d']).trim();
  const owner = paved(database, ['token', 'create', '--user', 'lena.fischer', '--expires', '1d']).trim();
  assert.match(token, /^paved_[0-9a-f]{64}$/, 'paved token create prints the token');

  const byToken = await serve(database, { PAVED_REQUIRE_SIGN_IN: 'true', PAVED_CONFIG: config });
  const byProxy = await serve(database, {
    PAVED_REQUIRE_SIGN_IN: 'true',
    PAVED_AUTH_PROXY_HEADER: 'X-Forwarded-Email',
    PAVED_AUTH_PROXY_TRUSTED: '127.0.0.1/32',
  });
  const base = byToken.base;
  const attacker = await startAttacker(`${base}/sign-out`);
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
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = watch(page);

    await check('a page sends a person who is not signed in to the sign-in page', async () => {
      const response = await page.goto(`${base}/services?days=30`);
      assert.equal(response.status(), 200);
      assert.equal(page.url(), `${base}/sign-in?next=%2Fservices%3Fdays%3D30`);
      assert.equal(await page.locator('h1').innerText(), 'Sign in');
      assert.equal(await signedInAs(page), '', 'nobody is signed in, and the page needs no link to itself');
    });

    await check('a wrong token shows the form again with the reason', async () => {
      await page.getByLabel('Personal token').fill('paved_not-a-token');
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${base}/sign-in` && r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      assert.equal(response.status(), 401);
      await page.waitForLoadState();
      const problem = await page.locator('#sign-in-problem').innerText();
      assert.match(problem, /not known/, problem);
      assert.equal((await context.cookies()).filter((c) => c.name === 'paved_session').length, 0);
    });

    await check('signing in with a personal token shows the person and goes back to the page', async () => {
      await page.getByLabel('Personal token').fill(token);
      await Promise.all([page.waitForURL(`${base}/services?days=30`), page.getByRole('button', { name: 'Sign in' }).click()]);
      assert.equal(await page.locator('h1').innerText(), 'Services');
      assert.equal(await signedInAs(page), 'Signed in as Priya Raman · Sign out');
      const session = (await context.cookies()).find((c) => c.name === 'paved_session');
      assert.ok(session, 'a session cookie');
      assert.equal(session.httpOnly, true, 'HttpOnly: no script reads it');
      assert.equal(session.sameSite, 'Lax');
      assert.equal(session.path, '/');
    });

    for (const [name, host] of [['another site', 'localhost'], ['another port of the same host', '127.0.0.1']]) {
      await check(`a form posted by ${name} is refused with 403 and the session survives`, async () => {
        const refused = page.waitForResponse((r) => r.url() === `${base}/sign-out`);
        await page.goto(`http://${host}:${attacker.port}/`);
        const response = await refused;
        assert.equal(response.status(), 403);
        await page.waitForURL(`${base}/sign-out`);
        assert.match(await page.locator('main').innerText(), /This form came from another site/);
        await page.goto(`${base}/`);
        assert.equal(page.url(), `${base}/`, 'no redirect to the sign-in page');
        assert.equal(await signedInAs(page), 'Signed in as Priya Raman · Sign out');
      });
    }

    await check("a deploy by someone outside the owning team is refused with every check's reason", async () => {
      await page.goto(`${base}/services/checkout-api`);
      await page.getByLabel('Version to production').fill('1.2.3');
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${base}/services/checkout-api/deploy` && r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Deploy to production' }).click(),
      ]);
      assert.equal(response.status(), 403);
      await page.waitForLoadState();
      const text = await page.locator('main').innerText();
      assert.match(text, /is refused/, text);
      assert.match(text, /may_act/, text);
      assert.match(text, /lena\.fischer/, 'the owners are named');
    });

    await check('signing out ends the session', async () => {
      await Promise.all([page.waitForURL(`${base}/sign-in`), page.getByRole('button', { name: 'Sign out' }).click()]);
      assert.equal((await context.cookies()).filter((c) => c.name === 'paved_session').length, 0);
      await page.goto(`${base}/teams`);
      assert.equal(page.url(), `${base}/sign-in?next=%2Fteams`, 'pages ask for signing in again');
    });

    await check('no page had a script error or a blocked resource', async () => {
      assert.deepEqual(problems, []);
    });
    await context.close();

    await check('behind an authenticating proxy the person is the User its header names', async () => {
      const proxied = await browser.newContext({ extraHTTPHeaders: { 'X-Forwarded-Email': 'sam.okafor@acme.example' } });
      const proxiedPage = await proxied.newPage();
      const response = await proxiedPage.goto(`${byProxy.base}/teams`);
      assert.equal(response.status(), 200);
      assert.equal(proxiedPage.url(), `${byProxy.base}/teams`, 'no redirect to the sign-in page');
      assert.equal(await signedInAs(proxiedPage), 'Signed in as Sam Okafor');
      await proxied.close();
      const direct = await browser.newContext();
      const directPage = await direct.newPage();
      await directPage.goto(`${byProxy.base}/teams`);
      assert.equal(directPage.url(), `${byProxy.base}/sign-in?next=%2Fteams`, 'without the header, nobody');
      await direct.close();
    });

    await check("an owner's deploy from the service page shows its log as it runs", async () => {
      const ownerContext = await browser.newContext();
      const ownerPage = await ownerContext.newPage();
      const ownerProblems = watch(ownerPage);
      await ownerPage.goto(`${base}/sign-in?next=/services/checkout-api`);
      await ownerPage.getByLabel('Personal token').fill(owner);
      await Promise.all([
        ownerPage.waitForURL(`${base}/services/checkout-api`),
        ownerPage.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      await ownerPage.getByLabel('Version to production').fill('1.2.3');
      await Promise.all([
        ownerPage.waitForURL(/\/deploys\/\d+$/),
        ownerPage.getByRole('button', { name: 'Deploy to production' }).click(),
      ]);
      // The log grows on the page without a reload, until the deploy ends.
      await ownerPage.waitForFunction(
        () => document.getElementById('deploy-log').textContent.includes('released 1.2.3'),
        null,
        { timeout: 30000 },
      );
      await ownerPage.waitForFunction(() => document.getElementById('deploy-state').textContent === 'succeeded', null, {
        timeout: 30000,
      });
      const log = await ownerPage.locator('#deploy-log').innerText();
      assert.match(log, /deploying checkout-api 1\.2\.3/, log);
      const main = await ownerPage.locator('main').innerText();
      assert.match(main, /user:default\/lena\.fischer/, 'the person is the actor');
      assert.deepEqual(ownerProblems, []);
      await ownerContext.close();
    });

    await check("a team member starts a service from a golden path's form and sees the run's log", async () => {
      const memberContext = await browser.newContext();
      const memberPage = await memberContext.newPage();
      const memberProblems = watch(memberPage);
      await memberPage.goto(`${base}/sign-in?next=/templates`);
      await memberPage.getByLabel('Personal token').fill(member);
      await Promise.all([
        memberPage.waitForURL(`${base}/templates`),
        memberPage.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      await memberPage.getByLabel('name', { exact: true }).fill('ledger');
      await memberPage.getByLabel('owner', { exact: true }).fill('payments');
      await Promise.all([
        memberPage.waitForURL(`${base}/templates/python-service/runs`),
        memberPage.getByRole('button', { name: 'Start a service from python-service' }).click(),
      ]);
      const log = await memberPage.locator('ol.run-log').innerText();
      assert.match(log, /pushed 10 files/, log);
      assert.match(log, /the catalog now holds component:default\/ledger/, log);
      const links = await memberPage.locator('ul.run-links').innerText();
      assert.match(links, /component:default\/ledger/, links);
      assert.ok(existsSync(join(repos, 'ledger.git')), 'the repository is made');
      // The new service's page, from the run's link.
      await Promise.all([
        memberPage.waitForURL(`${base}/services/ledger`),
        memberPage.getByRole('link', { name: 'component:default/ledger' }).click(),
      ]);
      assert.deepEqual(memberProblems, []);
      await memberContext.close();
    });
  } finally {
    await browser.close();
    attacker.server.close();
    byToken.child.kill('SIGTERM');
    byProxy.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  if (process.env.PAVED_AUTH_SHOW_LOG) console.log(byToken.log());
  console.log(`${passed} passed, ${failures} failed`);
  if (failures > 0) {
    console.log(`paved serve's log:\n${byToken.log()}`);
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
