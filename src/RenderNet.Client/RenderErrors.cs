using System;
using System.Collections.Generic;

namespace RenderNet.Client
{
    /// <summary>What kind of thing stopped a request or a job (the service sends the same names).</summary>
    public enum RenderErrorKind
    {
        /// <summary>The request cannot render: a malformed scene, an absurd size, an unknown camera…</summary>
        InvalidScene,
        /// <summary>No node can take the job.</summary>
        NoCompatibleNode,
        /// <summary>The budget was spent before the job finished.</summary>
        BudgetExhausted,
        /// <summary>The nodes failed (every node failed or left).</summary>
        RenderFailed,
        /// <summary>The service refused the call or could not be reached.</summary>
        Service,
        /// <summary>The service did not know the job (or lost it).</summary>
        JobNotFound,
        /// <summary>A transcode's input cannot be used (not a video, truncated, a bad ladder…).</summary>
        InvalidMedia,
    }

    /// <summary>Something stopped a render; <see cref="Kind"/> says what, the message names the problem.</summary>
    public class RenderServiceException : Exception
    {
        /// <summary>An error of a kind, with the service's message.</summary>
        public RenderServiceException(RenderErrorKind kind, string message, Exception? inner = null) : base(message, inner) => Kind = kind;

        /// <summary>What kind of error.</summary>
        public RenderErrorKind Kind { get; }

        internal static RenderServiceException For(RenderErrorKind kind, string message) => kind switch
        {
            RenderErrorKind.InvalidScene => InvalidSceneException.Single(message),
            _ => new RenderServiceException(kind, message),
        };
    }

    /// <summary>The request cannot render: <see cref="Problems"/> lists every problem found.</summary>
    public sealed class InvalidSceneException : RenderServiceException
    {
        /// <summary>An invalid request with its problems.</summary>
        public InvalidSceneException(string message, IReadOnlyList<RenderProblem> problems, Exception? inner = null)
            : base(RenderErrorKind.InvalidScene, message, inner) => Problems = problems;

        /// <summary>Every problem found.</summary>
        public IReadOnlyList<RenderProblem> Problems { get; }

        internal static InvalidSceneException Single(string message, Exception? inner = null) =>
            new InvalidSceneException(message, new[] { new RenderProblem(ProblemSeverity.Error, message) }, inner);
    }

    /// <summary>The budget was spent before the job finished; <see cref="Partial"/> holds what was delivered.</summary>
    public sealed class BudgetExhaustedException : RenderServiceException
    {
        internal BudgetExhaustedException(string message, RenderResult partial) : base(RenderErrorKind.BudgetExhausted, message) => Partial = partial;

        /// <summary>The tiles delivered and paid for before the budget ran out (missing tiles are transparent black).</summary>
        public RenderResult Partial { get; }
    }
}
