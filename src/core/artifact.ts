// What a build produces and a replica runs. The runtime that runs a replica follows from its
// artifact: a release folder runs as processes, an image as containers (or Swarm tasks later).

export type RuntimeName = 'process' | 'docker';

export const RUNTIME_NAMES: readonly RuntimeName[] = ['process', 'docker'];

export type ArtifactRef =
  /** A sealed folder under the state directory (the process runtime's image). */
  | { kind: 'release'; releaseDir: string }
  /**
   * A container image. `image` is the tag Wharf gave it (e.g. `wharf/<instance>:<artifact>`),
   * `digest` the image ID (`sha256:…`) that replicas are created from, so a re-tag never changes
   * what a deployment runs.
   */
  | { kind: 'image'; image: string; digest: string };

/** The runtime that runs an artifact of this kind. */
export function runtimeOfArtifact(artifact: ArtifactRef): RuntimeName {
  return artifact.kind === 'image' ? 'docker' : 'process';
}
