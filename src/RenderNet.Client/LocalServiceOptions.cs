namespace RenderNet.Client
{
    /// <summary>A service started on this machine by <see cref="RenderServiceClient.StartLocalAsync"/>.</summary>
    public sealed class LocalServiceOptions
    {
        /// <summary>How many local render node processes (when no <see cref="NodeAddresses"/> are given).</summary>
        public int Nodes { get; set; } = 4;
        /// <summary>Render nodes already running (host:port or URLs) for the service to use instead of starting its own.</summary>
        public string[]? NodeAddresses { get; set; }
        /// <summary>Start a local chain and pay the nodes per tile in tokens (as on the real network).</summary>
        public bool Paid { get; set; } = true;
        /// <summary>What each paid node asks per price unit of work, in the token's smallest unit (10^15 = 0.001 token).</summary>
        public string PricePerUnit { get; set; } = "1000000000000000";
        /// <summary>The most the service may spend, in tokens; null: no cap.</summary>
        public decimal? Budget { get; set; }
        /// <summary>Vulkan device selector for the nodes (index or name substring); null: the best device.</summary>
        public string? Device { get; set; }
        /// <summary>Share of tiles (0…1) rendered again on a second node and compared bit for bit.</summary>
        public double SpotCheckRate { get; set; } = 0.05;
        /// <summary>The service's state directory; null: a new temporary one, removed on dispose.</summary>
        public string? StateDirectory { get; set; }
        /// <summary>Path to rendernet.dll (run with `dotnet`) or the rendernet executable; null: $RENDERNET_PROGRAM, then beside this application.</summary>
        public string? ServiceProgram { get; set; }
        /// <summary>How long the service (and its nodes and chain) may take to start, in seconds.</summary>
        public double StartTimeoutSeconds { get; set; } = 120;
    }
}
