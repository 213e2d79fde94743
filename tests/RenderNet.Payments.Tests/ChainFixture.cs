using System.Numerics;

namespace RenderNet.Payments.Tests;

/// <summary>A real anvil with RenderNet's contracts deployed; the payer (dev account 0) holds the whole token supply.</summary>
public sealed class ChainFixture : IAsyncLifetime
{
    public const ulong UnlockDelay = 3600;
    public static readonly BigInteger Supply = BigInteger.Pow(10, 24);
    public AnvilChain Chain { get; private set; } = null!;
    public PaymentContracts Contracts { get; private set; } = null!;
    public string PayerKey => Chain.DevKeys[0];

    public async Task InitializeAsync()
    {
        Chain = AnvilChain.Start();
        Contracts = await PaymentContracts.DeployAsync(Chain.Web3For(PayerKey), Supply, unbondingDelaySeconds: 7200, unlockDelaySeconds: UnlockDelay);
    }

    public Task DisposeAsync()
    {
        Chain.Dispose();
        return Task.CompletedTask;
    }

    public EscrowClient Escrow(string key) => new(Chain.Web3For(key), Contracts.Escrow, Contracts.Token);
    public VoucherSigner Signer(string key) => new(new EscrowDomain(Chain.ChainId, Contracts.Escrow), key);
    public static string AddressOf(string key) => new Nethereum.Signer.EthECKey(key).GetPublicAddress();
}

[CollectionDefinition("chain")]
public sealed class ChainCollection : ICollectionFixture<ChainFixture>;
