import { describe, it, expect } from 'vitest';
import { orderBySampleKey, sampleSortKey } from '../../../core/sampling/seeded-order';

describe('sampleSortKey', () => {
  // Expected values from `printf 'run-2024-05:trace-1' | md5sum` and PostgreSQL's
  // `SELECT md5('run-2024-05' || ':' || 'trace-1')`, which agree.
  it('is the hex md5 of "seed:id", as md5(seed || \':\' || id) in PostgreSQL', () => {
    expect(sampleSortKey('run-2024-05', 'trace-1')).toBe('3c4d9ad149fc25d4a72c400a8f99044d');
    expect(sampleSortKey('seed', 'id')).toBe('2eda22a50e6c0c3c3775e0174ce3c42e');
    expect(sampleSortKey('', '')).toBe('853ae90f0351324bd73ea615e6487517'); // md5(':')
  });

  it('hashes UTF-8 bytes, like PostgreSQL on a UTF-8 database', () => {
    expect(sampleSortKey('s', 'café')).toBe('12347e21e4b964c9e0866fa811eb4f51');
  });

  it('the separator keeps ("ab", "c") and ("a", "bc") apart', () => {
    expect(sampleSortKey('ab', 'c')).not.toBe(sampleSortKey('a', 'bc'));
  });
});

describe('orderBySampleKey', () => {
  const ids = Array.from({ length: 50 }, (_, i) => `trace-${i}`);

  it('is a permutation, reproducible, and independent of input order', () => {
    const a = orderBySampleKey('run-1', ids);
    expect([...a].sort()).toEqual([...ids].sort());
    expect(orderBySampleKey('run-1', ids)).toEqual(a);
    expect(orderBySampleKey('run-1', [...ids].reverse())).toEqual(a);
  });

  it('sorts by the key in byte order', () => {
    const keys = orderBySampleKey('run-1', ids).map((id) => sampleSortKey('run-1', id));
    for (let i = 1; i < keys.length; i++) expect(keys[i - 1]! < keys[i]!).toBe(true);
  });

  it('another seed gives another order', () => {
    expect(orderBySampleKey('run-2', ids)).not.toEqual(orderBySampleKey('run-1', ids));
  });
});
