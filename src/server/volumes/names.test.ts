import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isWharfError } from '../../core/errors.js';
import { checkVolumeName, dockerVolumeName, volumeName } from './names.js';

test('volume names are <instanceId>-<volume>, and only that shape passes', () => {
  assert.equal(volumeName('si_0123456789abcdef', 'data'), 'si_0123456789abcdef-data');
  assert.equal(dockerVolumeName('si_0123456789abcdef-pg-data'), 'wharf-vol-si_0123456789abcdef-pg-data');
  for (const bad of ['../etc', 'si_x-', '-data', 'si_x-Data', 'si_x-da/ta', 'si_x-da ta', 'si_x', '', 'si_x-data\n', `si_x-${'a'.repeat(41)}`]) {
    assert.throws(() => checkVolumeName(bad), (e) => isWharfError(e) && e.code === 'INVALID_NAME', JSON.stringify(bad));
  }
  assert.throws(() => volumeName('si_x', '../../x'), (e) => isWharfError(e) && e.code === 'INVALID_NAME');
  assert.throws(() => volumeName('si_x', 'Data'), (e) => isWharfError(e) && /volume name 'Data'/.test(e.message));
});
