/**
 * Where a result came from: {@link tracelens.provenance.Provenance} (tracelens version, model and its weights' digest,
 * input files and their digests, settings, seed, time), stored in every activation file and results JSON and compared
 * to decide whether a cache may be reused; {@link tracelens.provenance.FileDigest} computes SHA-256 once per file version.
 */
package tracelens.provenance;
