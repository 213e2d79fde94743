using System;

namespace RenderNet.Client
{
    /// <summary>The service's state names ("running", "cancelling"…) and <see cref="RenderJobState"/>.</summary>
    static class JobStates
    {
        public static RenderJobState Parse(string? name) =>
            Enum.TryParse<RenderJobState>(name, ignoreCase: true, out var state) ? state
            : throw new RenderServiceException(RenderErrorKind.Service, $"the service sent an unknown job state '{name}'");
    }
}
