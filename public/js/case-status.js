// The case page, while the case is open: asks for the case's state every 20 seconds and, when a body
// has answered, says so in the live region and shows the refresh link (the page itself does not move
// under the reader). Without this script the page's plain refresh link does the same.
(() => {
  const live = document.getElementById('case-live');
  const notice = document.getElementById('case-changed');
  if (!live || !notice) return;
  const INTERVAL_MS = 20_000;
  const check = async () => {
    try {
      const response = await fetch(live.dataset.url, { headers: { Accept: 'application/json' } });
      if (!response.ok) return;
      const state = await response.json();
      if (state.updatedAt === live.dataset.updated) return setTimeout(check, INTERVAL_MS);
      for (const step of state.steps) {
        const label = document.querySelector(`[data-step-status="${CSS.escape(step.id)}"]`);
        if (label) label.textContent = step.label;
      }
      notice.hidden = false;
      live.textContent = live.dataset.message;
    } catch {
      setTimeout(check, INTERVAL_MS);
    }
  };
  setTimeout(check, INTERVAL_MS);
})();
