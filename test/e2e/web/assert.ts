// The few assertions the web suite needs (node's assert module is not in the browser).
export function ok(value: unknown, message: string): asserts value {
  if (!value) throw new Error(`assertion failed: ${message}`);
}

export function equal<T>(actual: T, expected: T, message: string): void {
  if (actual !== expected) {
    throw new Error(
      `assertion failed: ${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`,
    );
  }
}
