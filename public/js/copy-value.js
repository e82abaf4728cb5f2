// A "Copy" button beside a value shown once (an API credential): the button is hidden until this
// script shows it, and the value stays selectable by hand without JavaScript.
(() => {
  for (const button of document.querySelectorAll('button[data-copy-target]')) {
    const source = document.getElementById(button.getAttribute('data-copy-target'));
    const status = document.getElementById(button.getAttribute('data-copy-status'));
    if (!source || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener('click', () => {
      navigator.clipboard.writeText(source.textContent.trim()).then(
        () => {
          if (status) status.textContent = button.getAttribute('data-copied');
        },
        () => undefined,
      );
    });
  }
})();
