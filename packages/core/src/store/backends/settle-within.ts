/**
 * Waits for `promise` to settle, or for `ms` to pass, whichever comes first; never rejects. Resolves
 * `true` when it settled in time. For shutdowns that must not hang on a server that stopped answering
 * (the timer does not keep the process alive).
 */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(resolve, ms, false).unref();
  });
  const settled = await Promise.race([promise.then(settledInTime, settledInTime), timeout]);
  clearTimeout(timer);
  return settled;
}

function settledInTime(): true {
  return true;
}
