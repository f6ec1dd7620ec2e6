import type { InvoiceView } from './view.js';

/** PDF text is Latin-1 in a string literal: escape its delimiters and spell out what it can't show. */
function pdfText(text: string): string {
  return text
    .replace(/×/g, 'x')
    .replace(/€/g, 'EUR ')
    .replace(/£/g, 'GBP ')
    .replace(/¥/g, 'JPY ')
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/[\\()]/g, (char) => `\\${char}`);
}

/**
 * The invoice as a one-page PDF 1.4 document (Helvetica text, byte-exact cross-reference
 * table), enough for any PDF reader and for tests to check what it says.
 */
export function renderPdf(view: InvoiceView): Buffer {
  const lines = [
    view.business,
    `Invoice ${view.number}`,
    `Status: ${view.status}`,
    ...(view.customer ? [`Billed to: ${view.customer}`] : []),
    ...(view.due ? [`Due: ${view.due}`] : []),
    '',
    ...view.lines.map((line) => `${line.description}   ${line.quantity}   ${line.amount}`),
    '',
    `Subtotal: ${view.subtotal}`,
    ...view.taxes.map((tax) => `${tax.label}: ${tax.amount}`),
    `Total: ${view.total}`,
    `Amount paid: ${view.amountPaid}`,
    `Amount due: ${view.amountRemaining}`,
  ];
  const content = [
    'BT',
    '/F1 11 Tf',
    '14 TL',
    '50 790 Td',
    ...lines.map((line) => `(${pdfText(line)}) '`),
    'ET',
  ].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}
