namespace ModelCsi.Core.Failures;

/// <summary>
/// Why something failed, decided once where it fails. <see cref="FailureTable"/> turns each kind into the gRPC
/// code a CSI caller gets, the reason label of the failure metrics and the CLI's exit code.
/// </summary>
public enum FailureKind
{
    /// <summary>A bug or an unexpected condition; nothing the caller can fix.</summary>
    Internal,

    /// <summary>The request itself is wrong: a malformed reference, attribute, selection or path.</summary>
    InvalidArgument,

    /// <summary>The repository, tag, digest or blob does not exist.</summary>
    NotFound,

    /// <summary>The registry refused the credentials, or there were none and it wants some; or policy forbids the request.</summary>
    PermissionDenied,

    /// <summary>The registry could not be reached or answered with a server error; retrying may help.</summary>
    Unavailable,

    /// <summary>The node has no room for the model.</summary>
    InsufficientStorage,

    /// <summary>Downloaded bytes did not match their digest, or an artifact was malformed or unsafe.</summary>
    DataCorrupted,

    /// <summary>The artifact exists but is not a model this driver can unpack.</summary>
    Unsupported,

    /// <summary>The request is valid but the node's state does not allow it (e.g. a cache-only pull of an uncached model).</summary>
    FailedPrecondition,

    /// <summary>The caller went away or the driver is stopping.</summary>
    Cancelled,
}
