import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Regenerates `schema.generated.ts` from Intuit's XSDs: for each entity the emulator serves and
 * every type reachable from it, its elements (base types folded in) as `Field:Type` pairs.
 * Run after a build: `node dist/emulators/quickbooks/kernel/schema-generate.js <xsd dir> <out file>`.
 */
export const ROOT_ENTITIES = [
  'Customer',
  'Item',
  'Account',
  'Invoice',
  'Payment',
  'SalesReceipt',
  'Deposit',
  'CreditMemo',
  'RefundReceipt',
  'TaxCode',
  'TaxRate',
  'Preferences',
  'CompanyInfo',
];

interface XsdType {
  readonly base: string | undefined;
  readonly elements: readonly (readonly [name: string, type: string])[];
  readonly attributes: readonly string[];
  readonly simpleContent: boolean;
}

export function generateSchema(xsdText: string): string {
  const types = new Map<string, XsdType>();
  for (const match of xsdText.matchAll(
    /\n\t<xs:complexType name="(\w+)"[^>]*>([\s\S]*?)\n\t<\/xs:complexType>/g,
  )) {
    const body = match[2] ?? '';
    types.set(match[1] ?? '', {
      base: /<xs:(?:extension|restriction) base="(\w+)"/.exec(body)?.[1],
      elements: [...body.matchAll(/<xs:element (?:name="(\w+)"|ref="(\w+)")(?:[^>]*?type="([\w:]+)")?/g)].map(
        (element) => [element[1] ?? element[2] ?? '', (element[3] ?? '').replace(/^xs:/, '')] as const,
      ),
      attributes: [...body.matchAll(/<xs:attribute name="(\w+)"/g)].map((attribute) => attribute[1] ?? ''),
      simpleContent: body.includes('<xs:simpleContent>'),
    });
  }
  const simple = new Set([...xsdText.matchAll(/<xs:simpleType name="(\w+)"/g)].map((match) => match[1]));
  const fields = (name: string): (readonly [string, string])[] => {
    const type = types.get(name);
    if (!type) return [];
    const inherited = type.base && types.has(type.base) ? fields(type.base) : [];
    return [
      ...inherited,
      ...type.elements,
      ...type.attributes.map((attribute) => [attribute, 'string'] as const),
    ];
  };
  const order: string[] = [];
  const visit = (name: string) => {
    if (order.includes(name) || !types.has(name)) return;
    order.push(name);
    for (const [, type] of fields(name)) visit(type);
  };
  ROOT_ENTITIES.forEach(visit);
  const lines = order.map((name) => {
    const pairs = fields(name).map(
      ([field, type]) => `${field}:${simple.has(type) ? 'string' : type || 'any'}`,
    );
    const spec = types.get(name)?.simpleContent ? ['=value', ...pairs] : pairs;
    return `  ${name}: '${spec.length === 0 ? '*' : spec.join(' ')}',`;
  });
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [dir, out] = process.argv.slice(2);
  if (!dir || !out) throw new Error('usage: schema-generate <xsd dir> <out file>');
  const text = ['IntuitBaseTypes.xsd', 'IntuitNamesTypes.xsd', 'Finance.xsd']
    .map((file) => readFileSync(join(dir, file), 'utf8'))
    .join('\n');
  const header = readFileSync(out, 'utf8').split('export const XSD_TYPES')[0] ?? '';
  writeFileSync(
    out,
    `${header}export const XSD_TYPES: Readonly<Record<string, string>> = {\n${generateSchema(text)}\n};\n`,
  );
}
