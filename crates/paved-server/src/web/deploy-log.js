// Follows a deploy's log on its page without a reload: asks the API for the
// lines after the last one shown, once a second, until the deploy ends.
(function () {
  const log = document.getElementById('deploy-log');
  const state = document.getElementById('deploy-state');
  if (!log || log.dataset.done === 'true') return;
  let after = Number(log.dataset.after || '0');
  async function poll() {
    try {
      const response = await fetch('/api/v1/deploys/' + log.dataset.deploy + '?after=' + after);
      if (response.ok) {
        const body = await response.json();
        for (const line of body.log) {
          log.append(line.line + '\n');
          after = line.seq;
        }
        state.textContent = body.deploy.state;
        if (body.done) {
          log.dataset.done = 'true';
          return;
        }
      }
    } catch (error) {
      // The server restarted or the network dropped: try again.
    }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 500);
})();
