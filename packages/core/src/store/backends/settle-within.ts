/**
 * Waits for `promise` to settle, or for `ms` to pass, whichever comes first; never rejects. For shutdowns
 * that must not hang on a server that stopped answering (the timer does not keep the process alive).
 */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms).unref();
  });
  await Promise.race([promise.then(ignore, ignore), timeout]);
  clearTimeout(timer);
}

function ignore(): void {}
