/**
 * One polite live region for status messages that have no place of their own
 * ("Switched to English", "Role granted"). Errors are announced by the
 * assertive region next to the form they belong to.
 */
let region: HTMLElement | null = null;

export function attachAnnouncer(element: HTMLElement): void {
  region = element;
}

export function announce(message: string): void {
  if (!region) return;
  // Clearing first makes screen readers repeat an identical message.
  region.textContent = '';
  const target = region;
  window.setTimeout(() => {
    target.textContent = message;
  }, 50);
}
