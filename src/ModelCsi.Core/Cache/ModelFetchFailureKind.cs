namespace ModelCsi.Core.Cache;

/// <summary>Why a model could not be provided; the driver turns each kind into one gRPC status code.</summary>
public enum ModelFetchFailureKind
{
    /// <summary>The repository, tag or digest does not exist.</summary>
    NotFound,

    /// <summary>The registry refused the credentials (or there were none and it wants some).</summary>
    PermissionDenied,

    /// <summary>The registry could not be reached or answered with a server error; retrying may help.</summary>
    Unavailable,

    /// <summary>The node has no room for the model.</summary>
    InsufficientStorage,

    /// <summary>Downloaded bytes did not match their digest, or an archive was malformed or unsafe.</summary>
    DataCorrupted,

    /// <summary>The reference string is not a valid OCI reference.</summary>
    InvalidReference,

    /// <summary>The artifact exists but is not a model this driver can unpack (wrong media types, unsupported layer form).</summary>
    Unsupported,

    /// <summary>The volume's layer selection matches no layer of the model.</summary>
    InvalidSelection,
}
