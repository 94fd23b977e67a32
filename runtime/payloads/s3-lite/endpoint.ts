import { isIP } from 'node:net';
import { isVirtualHostableS3Bucket, partition } from '@aws-sdk/core/client';

/** What decides where an object's URL points: the same inputs as the S3 client's endpoint rules. */
export interface ObjectEndpointSettings {
  /** The signing region (a real one: `fips-` pseudo regions are resolved before). */
  readonly region: string;
  /** A custom endpoint (settings.endpoint, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL); AWS's own when absent. */
  readonly endpoint?: string | undefined;
  /** Bucket in the path, not the host name. @default false */
  readonly forcePathStyle?: boolean | undefined;
  /** AWS_USE_FIPS_ENDPOINT: `s3-fips.<region>`. Ignored with a custom endpoint. @default false */
  readonly useFipsEndpoint?: boolean | undefined;
  /** AWS_USE_DUALSTACK_ENDPOINT: `s3.dualstack.<region>`. Ignored with a custom endpoint. @default false */
  readonly useDualstackEndpoint?: boolean | undefined;
}

/** An object's URL, split as an HTTP request needs it. `path` is already URI-encoded (what S3 signs). */
export interface ObjectLocation {
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  readonly port: number | undefined;
  readonly path: string;
}

/**
 * A key or bucket segment encoded as S3 expects it in the path (and in SigV4's canonical URI, which
 * S3 does not encode twice): RFC 3986 unreserved characters kept, `/` between segments kept,
 * everything else percent-encoded, `!'()*` included (encodeURIComponent leaves them).
 */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

/**
 * Where GetObject and PutObject of `bucket`/`key` go, as the S3 client's endpoint rules put them:
 * virtual-hosted (`<bucket>.s3.<region>.<partition's DNS suffix>`) unless the bucket is no DNS
 * label, path style is forced, or a custom endpoint is an IP address (an emulator's).
 */
export function objectLocation(bucket: string, key: string, settings: ObjectEndpointSettings): ObjectLocation {
  const custom = settings.endpoint !== undefined && settings.endpoint !== '' ? new URL(settings.endpoint) : undefined;
  const protocol = custom ? (custom.protocol === 'http:' ? 'http:' : 'https:') : 'https:';
  // Over TLS a bucket with dots would not match the wildcard certificate: path style (as the SDK).
  const hostable = isVirtualHostableS3Bucket(bucket, protocol === 'http:');
  const host = custom ? custom.hostname : awsHost(settings);
  const pathStyle = settings.forcePathStyle === true || !hostable || (custom !== undefined && isIP(host.replace(/^\[|\]$/g, '')) !== 0);
  const base = custom ? custom.pathname.replace(/\/+$/, '') : '';
  return {
    protocol,
    hostname: pathStyle ? host : `${bucket}.${host}`,
    port: custom?.port ? Number(custom.port) : undefined,
    path: `${base}/${pathStyle ? `${encodeKey(bucket)}/` : ''}${encodeKey(key)}`,
  };
}

/** AWS's S3 host for the region, after the partition's DNS suffix (amazonaws.com, amazonaws.com.cn, ...). */
function awsHost(settings: ObjectEndpointSettings): string {
  const { dnsSuffix } = partition(settings.region);
  const service = settings.useFipsEndpoint === true ? 's3-fips' : 's3';
  return `${service}${settings.useDualstackEndpoint === true ? '.dualstack' : ''}.${settings.region}.${dnsSuffix}`;
}
