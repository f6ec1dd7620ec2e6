/**
 * QuickBooks' error envelope: `{"Fault":{"Error":[{Message, Detail, code, element}],"type"},"time"}`.
 * A QboFault is thrown anywhere in the emulator and rendered by the REST layer (HTTP status) or
 * by batch (one Fault per item, HTTP 200). Messages follow what QuickBooks answers.
 */
export type FaultType =
  'ValidationFault' | 'SystemFault' | 'AuthenticationFault' | 'AuthorizationFault' | 'SERVICE';

export interface FaultError {
  readonly Message: string;
  readonly Detail: string;
  readonly code: string;
  readonly element: string;
}

export class QboFault extends Error {
  constructor(
    readonly status: number,
    readonly type: FaultType,
    readonly errors: readonly FaultError[],
  ) {
    super(errors.map((error) => `${error.code} ${error.Detail}`).join('; '));
  }

  get code(): string {
    return this.errors[0]?.code ?? '';
  }

  toJSON(): { Fault: { Error: FaultError[]; type: FaultType } } {
    return { Fault: { Error: [...this.errors], type: this.type } };
  }
}

function validation(code: string, message: string, detail: string, element = ''): QboFault {
  return new QboFault(400, 'ValidationFault', [{ Message: message, Detail: detail, code, element }]);
}

const BUSINESS = 'A business validation error has occurred while processing your request';
const INACTIVE =
  "Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.";

export const faults = {
  unsupportedProperty: (detail: string) =>
    validation('2010', 'Request has invalid or unsupported property', `Property Name:${detail}`),
  missing: (element: string) =>
    validation(
      '2020',
      'Required param missing, need to supply the required value for the API',
      `Required parameter ${element} is missing in the request`,
      element,
    ),
  invalidNumber: (element: string, value: unknown) =>
    validation(
      '2090',
      'Invalid Number',
      `Invalid Number : ${element} : ${String(value)} is not a valid number`,
      element,
    ),
  lengthExceeded: (element: string, max: number) =>
    validation('2050', 'Length exceeds limit', `Length of the field exceeds ${max} chars`, element),
  invalidReference: (element: string) =>
    validation('2500', 'Invalid Reference Id', `Invalid Reference Id : ${element}`, element),
  notFound: () => validation('610', 'Object Not Found', `Object Not Found : ${INACTIVE}`),
  stale: () =>
    validation(
      '5010',
      'Stale Object Error',
      'Stale Object Error : You and API were working on this at the same time. API finished before you did, so your work was not saved.',
    ),
  business: (detail: string, element = '') =>
    validation('6000', BUSINESS, `Business Validation Error: ${detail}`, element),
  amountMismatch: (supplied: string) =>
    validation(
      '6070',
      BUSINESS,
      `Business Validation Error: Amount is not equal to UnitPrice * Qty. Supplied value:${supplied}`,
      'Line.Amount',
    ),
  duplicateDocNumber: (docNumber: string, entity: string, id: string) =>
    validation(
      '6140',
      'Duplicate Document Number Error',
      `Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=${docNumber} is assigned to TxnType=${entity} with TxnId=${id}`,
      'DocNumber',
    ),
  duplicateName: (kind: string) =>
    validation(
      '6240',
      'Duplicate Name Exists Error',
      `The name supplied already exists. : Another ${kind} is already using this name. Please use a different name.`,
    ),
  // Intuit's code list names 6220 "Delete Entity Has Balance Error"; live answers to making a
  // customer with an open balance inactive read as below.
  deleteHasBalance: () =>
    validation(
      '6220',
      'Delete List Has Balance Error',
      'The entity you are trying to delete has an open balance. : This customer cannot be deleted because it has a non-zero balance',
    ),
  deposited: () =>
    validation(
      '6540',
      'Deposited Transaction cannot be changed',
      'Deposited Transaction cannot be changed : This transaction has been deposited. If you want to change or delete it, you must edit the deposit it appears on and remove it first.',
    ),
  unsupportedOperation: (detail: string) => validation('500', 'Unsupported Operation', detail),
  queryParse: (detail: string) => validation('4000', 'Error parsing query', detail),
  queryInvalid: (detail: string) => validation('4001', 'Invalid query', detail),
  system: () =>
    new QboFault(500, 'SystemFault', [
      {
        Message: 'An application error has occurred while processing your request',
        Detail:
          'System Failure Error: An unexpected error occurred while accessing or saving your data. Please wait a few minutes and try again. If the problem persists, contact customer support.',
        code: '10000',
        element: '',
      },
    ]),
  throttled: () =>
    new QboFault(429, 'SERVICE', [
      {
        Message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429',
        Detail: 'The request limit was reached.  Try again later',
        code: '3001',
        element: '',
      },
    ]),
  authentication: (detail: string) =>
    new QboFault(401, 'AuthenticationFault', [
      {
        Message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401',
        Detail: detail,
        code: '3200',
        element: '',
      },
    ]),
  authorization: () =>
    new QboFault(403, 'AuthorizationFault', [
      {
        Message: 'message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403',
        Detail: 'The access token does not grant access to this company (realmId).',
        code: '3100',
        element: '',
      },
    ]),
};
