import { parseDecimal } from './amounts.js';
import { faults } from './faults.js';
import { XSD_TYPES } from './schema.generated.js';

/**
 * Rejects request bodies with fields QuickBooks does not know, the way its JSON reader does
 * (ValidationFault 2010 naming the field and the class), walking nested objects by their XSD type.
 */
interface TypeShape {
  readonly fields: ReadonlyMap<string, string>;
  readonly wrapsValue: boolean;
  readonly anything: boolean;
}

const shapes = new Map<string, TypeShape>();
for (const [name, spec] of Object.entries(XSD_TYPES)) {
  const tokens = spec.split(' ').filter(Boolean);
  const fields = new Map<string, string>();
  for (const token of tokens) {
    const [field, type] = token.split(':');
    if (field && type) fields.set(field, type);
  }
  shapes.set(name, { fields, wrapsValue: tokens.includes('=value'), anything: tokens.includes('*') });
}

/** Attributes QuickBooks accepts on every top-level entity besides its elements. */
const ENTITY_ATTRIBUTES = new Set(['sparse', 'domain', 'status']);

export function knownEntityType(entity: string): boolean {
  return shapes.has(entity);
}

export function validateEntityBody(entity: string, body: Record<string, unknown>): void {
  const shape = shapes.get(entity);
  if (!shape) return;
  for (const [field, value] of Object.entries(body)) {
    if (ENTITY_ATTRIBUTES.has(field)) continue;
    checkField(entity, shape, field, value, field);
  }
}

function checkField(owner: string, shape: TypeShape, field: string, value: unknown, path: string): void {
  const type = shape.fields.get(field);
  if (!type) {
    throw faults.unsupportedProperty(
      `Unrecognized field "${field}" (class com.intuit.schema.finance.v3.${owner}), not marked as ignorable specified is unsupported or invalid`,
    );
  }
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    for (const item of value) checkValue(type, item, path);
    return;
  }
  checkValue(type, value, path);
}

function checkValue(type: string, value: unknown, path: string): void {
  if (value === null) return;
  const nested = shapes.get(type);
  if (nested) {
    if (nested.anything) return;
    if (typeof value !== 'object' || Array.isArray(value)) {
      if (nested.wrapsValue) return;
      throw faults.unsupportedProperty(
        `${path}; failed to parse json object; a property specified is unsupported or invalid`,
      );
    }
    for (const [field, inner] of Object.entries(value as Record<string, unknown>)) {
      if (nested.wrapsValue && field === 'value') continue;
      checkField(type, nested, field, inner, `${path}.${field}`);
    }
    return;
  }
  if (type === 'decimal') parseDecimal(value, path);
  else if (type === 'boolean' && typeof value !== 'boolean' && value !== 'true' && value !== 'false') {
    throw faults.unsupportedProperty(
      `${path}; failed to parse json object; a property specified is unsupported or invalid`,
    );
  }
}
