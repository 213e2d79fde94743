using RenderNet.Payments;

namespace RenderNet.Plugin;

/// <summary>An EVM chain with RenderNet's contracts.</summary>
/// <param name="RpcUrl">JSON-RPC endpoint.</param>
/// <param name="EscrowAddress">The TileEscrow contract: nodes are paid through it.</param>
/// <param name="TokenAddress">The RenderToken contract.</param>
/// <param name="RegistryAddress">The NodeRegistry contract, to discover nodes; null when nodes are listed.</param>
public sealed record ChainSettings(string RpcUrl, string EscrowAddress, string TokenAddress, string? RegistryAddress = null);

/// <summary>The key that pays for renders. It never leaves the process: it signs vouchers and transactions.</summary>
public sealed class RenderWallet
{
    RenderWallet(string key) => Key = key;

    internal string Key { get; }

    /// <summary>The wallet's address.</summary>
    public string Address => PaymentKeys.AddressOf(Key);

    /// <summary>A wallet from an encrypted JSON keystore (Web3 Secret Storage).</summary>
    /// <exception cref="ArgumentException">The file is missing or the password is wrong.</exception>
    public static RenderWallet FromKeystore(string path, string password)
    {
        try
        {
            return new RenderWallet(PaymentKeys.Decrypt(path, password));
        }
        catch (PaymentException ex)
        {
            throw new ArgumentException(ex.Message);
        }
    }

    /// <summary>A wallet from a hex private key (for development chains; prefer a keystore).</summary>
    /// <exception cref="ArgumentException">The key is not a valid secp256k1 private key.</exception>
    public static RenderWallet FromPrivateKey(string hexKey)
    {
        try
        {
            return new RenderWallet(PaymentKeys.Normalize(hexKey));
        }
        catch (PaymentException ex)
        {
            throw new ArgumentException(ex.Message);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"RenderWallet({Address})"; // never the key
}

/// <summary>How a <see cref="RenderFarm"/> finds its nodes and pays them.</summary>
public sealed record RenderFarmOptions
{
    /// <summary>Nodes as host:port (http) or URLs; empty: discover them in <see cref="ChainSettings.RegistryAddress"/>.</summary>
    public IReadOnlyList<string> Nodes { get; init; } = [];
    /// <summary>The chain to pay on (and to discover nodes in); null: only nodes that render for free are used.</summary>
    public ChainSettings? Chain { get; init; }
    /// <summary>The payer's key; required with <see cref="Chain"/>.</summary>
    public RenderWallet? Wallet { get; init; }
    /// <summary>The most the farm may spend over all its jobs, in tokens; null: no cap.</summary>
    public decimal? Budget { get; init; }
    /// <summary>How long a node may take to answer when connecting.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>
    /// Share of tiles (0…1) rendered again on a second node and compared bit for bit, to catch nodes that return
    /// plausible but wrong pixels; the node outvoted by a third is dropped and its tiles redone. Checks are paid like tiles.
    /// </summary>
    public double SpotCheckRate { get; init; } = 0.05;
}

/// <summary>A render network started on this machine by <see cref="RenderFarm.StartLocalAsync"/>.</summary>
public sealed record LocalFarmOptions
{
    /// <summary>How many node processes.</summary>
    public int Nodes { get; init; } = 4;
    /// <summary>Start a local chain and pay the nodes per tile in tokens (as on the real network).</summary>
    public bool Paid { get; init; } = true;
    /// <summary>What each paid node asks per tile, in tokens.</summary>
    public decimal PricePerTile { get; init; } = 0.001m;
    /// <summary>The most the farm may spend, in tokens; null: no cap.</summary>
    public decimal? Budget { get; init; }
    /// <summary>Vulkan device selector for the nodes (index or name substring); null: the best device.</summary>
    public string? Device { get; init; }
    /// <summary>Path to rendernet.dll (or the rendernet executable); null: $RENDERNET_PROGRAM, then beside this application.</summary>
    public string? NodeProgram { get; init; }
    /// <inheritdoc cref="RenderFarmOptions.SpotCheckRate"/>
    public double SpotCheckRate { get; init; } = 0.05;
}
