import { WharfError } from '../../core/errors.js';
import { NAME_PATTERN } from '../../core/names.js';

// A volume's name is `<instanceId>-<volume>`: unique per installation (an instance id is), the
// same across deploys, and safe as a folder name, a Docker volume name and a label value.
// Anything else is refused before it reaches a path or the engine.

export const VOLUME_NAME_PATTERN = /^[a-z0-9][a-z0-9_]{0,39}-[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

export function volumeName(instanceId: string, volume: string): string {
  if (!NAME_PATTERN.test(volume)) {
    throw new WharfError('INVALID_NAME', `volume name '${volume}' is not allowed`, { hint: 'Use 1-40 lowercase letters, digits and dashes, starting and ending with a letter or digit.' });
  }
  return checkVolumeName(`${instanceId.toLowerCase()}-${volume}`);
}

export function checkVolumeName(name: string): string {
  if (!VOLUME_NAME_PATTERN.test(name)) {
    throw new WharfError('INVALID_NAME', `'${name}' is not a Wharf volume name`, { hint: 'Volume names look like si_0123456789abcdef-data; list them with `wharf volume list`.' });
  }
  return name;
}

/** The Docker volume that holds a Wharf volume (the docker runtime's convention). */
export function dockerVolumeName(name: string): string {
  return `wharf-vol-${checkVolumeName(name)}`;
}
