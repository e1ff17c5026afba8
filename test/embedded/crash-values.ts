// The value the crash test writes for sequence number `seq`: its bytes prove which record it is.

export function crashValue(seq: number): Buffer {
  const length = 20 + (seq % 300);
  const value = Buffer.alloc(length);
  value.write(`seq=${seq};`);
  for (let i = 12; i < length; i++) value[i] = (seq * 31 + i) & 0xff;
  return value;
}
