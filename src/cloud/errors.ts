// Cloud errors: one class per cloud error code, thrown by the models and
// rendered in exactly one place (api.ts). Handlers never catch them.

/** An error the emulated cloud returns: a cloud error code, a sentence a person understands, and the HTTP status. */
export class CloudError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
    this.name = 'CloudError';
  }

  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** The request is malformed: wrong type, not JSON, unknown field value shape. */
export class InvalidParameter extends CloudError {
  constructor(message: string) { super('InvalidParameter', message, 400); }
}

/** A parameter is well-formed but its value is not acceptable (unknown zone, bad CIDR...). */
export class InvalidParameterValue extends CloudError {
  constructor(message: string) { super('InvalidParameterValue', message, 400); }
}

/** A required parameter is absent. */
export class MissingParameter extends CloudError {
  constructor(name: string) { super('MissingParameter', `missing required parameter ${name}`, 400); }
}

/** A CIDR overlaps another one that must stay disjoint (subnets of one VPC). */
export class InvalidCidrOverlap extends CloudError {
  constructor(message: string) { super('InvalidCidr.Overlap', message, 400); }
}

/**
 * The caller may not use the cloud API: only the cluster administrators (Kubernetes'
 * system:masters) are the cloud account's owners here (docs/auth.md). Tencent Cloud's code for
 * a request CAM does not allow.
 */
export class UnauthorizedOperation extends CloudError {
  constructor(message: string) { super('UnauthorizedOperation', message, 403); }
}

export class ResourceNotFound extends CloudError {
  constructor(kind: string, id: string) { super('ResourceNotFound', `${kind} ${id} does not exist`, 404); }
}

/** The resource is referenced by something else and cannot be changed or removed yet. */
export class ResourceInUse extends CloudError {
  constructor(message: string) { super('ResourceInUse', message, 409); }
}

/** Nothing left to hand out (no free IP in a subnet, empty EIP pool). */
export class ResourceInsufficient extends CloudError {
  constructor(message: string) { super('ResourceInsufficient', message, 409); }
}

/**
 * A quota is exhausted. 403 like a Kubernetes ResourceQuota rejection; the
 * message names the quota and its limit so the user knows which ticket to file.
 */
export class QuotaExceeded extends CloudError {
  constructor(readonly quota: string, readonly limit: number, scope: string) {
    super('QuotaExceeded', `quota ${quota} (${limit}) for ${scope} is exhausted`, 403);
  }
}

/** The operation exists but is not allowed on this resource (e.g. deleting the default security group). */
export class UnsupportedOperation extends CloudError {
  constructor(message: string) { super('UnsupportedOperation', message, 400); }
}

export class Unauthorized extends CloudError {
  constructor(message = 'missing or invalid bearer token') { super('Unauthorized', message, 401); }
}

/** No such route in the cloud API. */
export class InvalidAction extends CloudError {
  constructor(method: string, path: string) { super('InvalidAction', `no cloud API action for ${method} ${path}`, 404); }
}

/**
 * EC2's refusal of an id it does not know, in its words (`InvalidSubnetID.NotFound`: "The subnet ID
 * 'subnet-…' does not exist"; docs/aws.md). EC2 answers these with HTTP 400.
 */
export function ec2NotFound(kind: 'vpc' | 'subnet', id: string): CloudError {
  return kind === 'vpc'
    ? new CloudError('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`, 400)
    : new CloudError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`, 400);
}

/** EKS's InvalidParameterException (HTTP 400), e.g. "Subnets specified must be in the same VPC". */
export class EksInvalidParameter extends CloudError {
  constructor(message: string) { super('InvalidParameterException', message, 400); }
}
