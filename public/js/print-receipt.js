// The receipt's "print" button, shown only where this script runs; without it the page says to use
// the browser's print command, which prints the same receipt (procedures.css, @media print).
(() => {
  const button = document.getElementById('print-receipt');
  if (!button) return;
  button.hidden = false;
  button.addEventListener('click', () => window.print());
})();
