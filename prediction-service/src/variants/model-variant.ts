/**
 * Model variants: the proxy evaluates the Unleash flag `migrate.ml-predict.live` and, when the
 * chosen variant carries a payload, forwards it as the header
 *
 *   X-Migrate-Variant-Payload: {"model_version":"2"}
 *
 * A request that asked for `model_version: "auto"` is then served by version 2, so a model upgrade
 * is ramped and compared the way an extraction is; `model_info.model_version` says which version
 * answered. An explicit version in the request always wins (the client asked for it). The payload
 * may name the model it is meant for (`{"model_name":"ai4i_classifier","model_version":"2"}`); it
 * is then ignored for other models. A malformed payload is ignored, never an error for the client.
 */

export const VARIANT_HEADER = 'x-migrate-variant-payload';

/** Longest header value read; a payload is a few dozen bytes, anything longer is not ours. */
export const MAX_VARIANT_PAYLOAD_BYTES = 1024;

/** The version override a request gets, or why it gets none (a bounded label for metrics and logs). */
export type VariantDecision =
  | { kind: 'apply'; version: string }
  | { kind: 'none' | 'explicit-version' | 'other-model' | 'invalid' };

const VERSION = /^[1-9][0-9]{0,8}$/;

/** Decide from the header value (as sent; undefined when absent) and the request's model name and version. */
export function variantDecision(header: string | string[] | undefined, modelName: string, requestedVersion: string): VariantDecision {
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw === undefined || raw.trim() === '') return { kind: 'none' };
  if (raw.length > MAX_VARIANT_PAYLOAD_BYTES) return { kind: 'invalid' };
  let payload: unknown;
  try {
    payload = JSON.parse(raw);
  } catch {
    return { kind: 'invalid' };
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { kind: 'invalid' };
  const { model_version: version, model_name: name } = payload as Record<string, unknown>;
  const text = typeof version === 'number' ? String(version) : version;
  if (typeof text !== 'string' || !VERSION.test(text)) return { kind: 'invalid' };
  if (name !== undefined && typeof name !== 'string') return { kind: 'invalid' };
  if (requestedVersion !== 'auto') return { kind: 'explicit-version' };
  if (name !== undefined && name !== modelName) return { kind: 'other-model' };
  return { kind: 'apply', version: text };
}
