// Errors the call store throws; callers (HTTP handlers) map them to 400 / 404 / 409.

export class CallStoreValidationError extends Error {
  override readonly name = 'CallStoreValidationError';
  constructor(
    message: string,
    readonly issues: string[] = [message],
  ) {
    super(message);
  }
}

export class CallNotFoundError extends Error {
  override readonly name = 'CallNotFoundError';
  constructor(readonly callId: string) {
    super(`call not found: ${callId}`);
  }
}

export class CallLogIdConflictError extends Error {
  override readonly name = 'CallLogIdConflictError';
  constructor(
    readonly callLogId: string,
    readonly existingId: string,
    reason: string,
  ) {
    super(`callLogId ${JSON.stringify(callLogId)} is already used by call ${existingId}: ${reason}`);
  }
}

export class CallStoreClosedError extends Error {
  override readonly name = 'CallStoreClosedError';
  constructor() {
    super('call store is closed');
  }
}
