// The snapshot format's fixed facts and the bounds every reader checks a declared size against
// before it allocates anything (README.md, "Validation").

/** Manifest `format` and the version this build writes and the newest it reads. */
export const MANIFEST_FORMAT = "hypertab-snapshot";
export const FORMAT_VERSION = 1;

/** Byte arrays are cut into chunks of this size (the last one of an array may be shorter). */
export const CHUNK_SIZE = 0x10000;
/** Typed arrays of fewer bytes stay inline in the manifest (base64) instead of becoming chunks. */
export const INLINE_MAX_BYTES = 4096;

/** A stored chunk: one codec byte, then the bytes; never more than the raw chunk plus the byte. */
export const MAX_STORED_CHUNK = CHUNK_SIZE + 1;
/** One byte array of a snapshot (RAM is at most 3 GiB; disk images larger than this do not fit a
 *  browser tab's memory either). */
export const MAX_ARRAY_BYTES = 4 * 2 ** 30;
/** All byte arrays of one snapshot together. */
export const MAX_SNAPSHOT_BYTES = 8 * 2 ** 30;
/** The JSON of all manifests of one file. */
export const MAX_MANIFEST_JSON_BYTES = 64 * 2 ** 20;
/** Manifests in one file. */
export const MAX_MANIFESTS = 4096;
/** Nesting of the config and state trees (the machine's own is below 16). */
export const MAX_TREE_DEPTH = 64;
/** Text fields of the meta and VM definition. */
export const MAX_TEXT = 64 * 1024;
