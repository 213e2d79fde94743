using System.Numerics;
using RenderNet.Farm;

namespace RenderNet.Service;

/// <summary>What `rendernet serve` was started with: where it keeps its state, where it listens, its nodes and wallet.</summary>
public sealed record ServiceOptions
{
    /// <summary>The state directory: token, job store, scenes, journals (created 0700).</summary>
    public required string StateDirectory { get; init; }
    /// <summary>Where to listen; loopback by default. Anything else needs <see cref="CertificatePath"/>.</summary>
    public Uri Listen { get; init; } = new("http://127.0.0.1:7878");
    /// <summary>A PKCS#12 certificate for HTTPS (its password in $RENDERNET_SERVICE_CERT_PASSWORD); required off loopback.</summary>
    public string? CertificatePath { get; init; }
    /// <summary>The render nodes' addresses.</summary>
    public IReadOnlyList<string> Nodes { get; init; } = [];
    /// <summary>Which nodes may join by dialling out (<see cref="NodeJoinEndpoint"/>); null: none (the endpoint is not served).</summary>
    public NodeAdmission? AcceptNodes { get; init; }
    /// <summary>Pays nodes for one job (each job gets its own channels from the same wallet); null: free nodes only.</summary>
    public FarmPayer? Payer { get; init; }
    /// <summary>The most the service may spend over all its jobs, in the token's smallest unit; null: no cap.</summary>
    public BigInteger? Budget { get; init; }
    /// <summary>What every job's farm starts from (spot checks, price cap, registry entries, coordinator key…).</summary>
    public FarmOptions Farm { get; init; } = new() { SpotCheckRate = FarmDefaults.SpotCheckRate, BatchTarget = TimeSpan.FromSeconds(FarmDefaults.BatchSeconds) };
    /// <summary>The largest video accepted for upload (streamed to disk).</summary>
    public long MaxMediaBytes { get; init; } = 16L << 30;
    /// <summary>The largest scene accepted for upload.</summary>
    public long MaxSceneBytes { get; init; } = 512L << 20;
    /// <summary>How many jobs run at once (the rest wait, queued, in priority order).</summary>
    public int MaxRunningJobs { get; init; } = 8;
    /// <summary>
    /// How many running jobs each node works for at once (<see cref="NodeAllotment"/>); 0: every job works every node.
    /// With thousands of nodes and many jobs, every job working every node costs a worker and a node record per pair;
    /// 2 keeps the coordinator's cost per node bounded and each job at its fair share of the fleet's speed.
    /// </summary>
    public int JobsPerNode { get; init; }
    /// <summary>Nodes handed over as a whole (present and arriving), beside the listed and joined ones; null: none.</summary>
    public INodeFleet? Fleet { get; init; }
    /// <summary>The service's clock: job times, the node refresh and every job's farm run on it.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>
    /// Runs a job in place of its kind's runner (the scale benchmark renders simulated tiles through the service's own
    /// queue, store, allotment and farms); null: each kind's own.
    /// </summary>
    internal Func<ServiceJob, JobManager, ServiceOptions, JobRunnerBase>? Runner { get; init; }
    /// <summary>How often nodes that joined, and nodes of jobs that ended, are handed to the running jobs.</summary>
    public TimeSpan NodeRefreshInterval { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>
    /// A block explorer's page for a transaction, with <c>{tx}</c> where its hash goes (the dashboard links redeem
    /// transactions there); null: the dashboard shows what the service's own chain says of them.
    /// </summary>
    public string? ExplorerTransactionUrl { get; init; }

    /// <summary>Checks an explorer template: an absolute http(s) URL with one <c>{tx}</c>.</summary>
    /// <exception cref="ArgumentException">It is not.</exception>
    public static string CheckExplorerTemplate(string template)
    {
        bool valid = template.Split("{tx}").Length == 2 && Uri.TryCreate(template.Replace("{tx}", "0x0"), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";
        return valid ? template : throw new ArgumentException($"--explorer '{template}' must be an http(s) address with {{tx}} where the transaction's hash goes, such as https://etherscan.io/tx/{{tx}}");
    }
}
