// A sleep that stop() can cut short: the lease loops (leader election, sharding) wait between
// rounds, and a shutdown must not wait out the rest of a round's pause.

export class Sleeper {
  private wakeUp: (() => void) | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
    });
  }

  /** End the current sleep now (nothing if none). */
  wake(): void {
    this.wakeUp?.();
  }
}
