using System.CommandLine;
using System.Diagnostics;
using System.Numerics;
using RenderNet.Payments;

/// <summary>
/// `bench payments`, on a local anvil: the gas of paying a job of N tiles over K nodes through TileEscrow (one
/// approve + open per node, one cumulative voucher per tile off chain, one redeem per node) against paying every tile
/// with its own ERC-20 transfer, as a ratio; and voucher sign and verify (signature recovery) rates on one core.
/// </summary>
static class PaymentsBench
{
    public static Command Create()
    {
        var tiles = new Option<int>("--tiles") { Description = "Tiles in the job", DefaultValueFactory = _ => 1000 };
        var nodes = new Option<int>("--nodes") { Description = "Nodes sharing the job", DefaultValueFactory = _ => 4 };
        var command = new Command("payments", "Gas per job vs one transfer per tile; voucher sign/verify rates") { tiles, nodes };
        command.SetAction(parse => Run(parse.GetValue(tiles), parse.GetValue(nodes)).GetAwaiter().GetResult());
        return command;
    }

    static async Task<int> Run(int tileCount, int nodeCount)
    {
        using var chain = AnvilChain.Start();
        string payerKey = chain.DevKeys[0];
        var contracts = await PaymentContracts.DeployAsync(chain.Web3For(payerKey), BigInteger.Pow(10, 24), 3600, 3600);
        var domain = new EscrowDomain(chain.ChainId, contracts.Escrow);
        var payer = new EscrowClient(chain.Web3For(payerKey), contracts.Escrow, contracts.Token);
        var signer = new VoucherSigner(domain, payerKey);
        BigInteger price = 1_000_000_000_000_000; // 0.001 token per tile
        int perNode = tileCount / nodeCount;

        BigInteger escrowGas = 0;
        var vouchers = new List<(string NodeKey, Voucher Voucher)>();
        var signWatch = new Stopwatch();
        int signed = 0;
        for (int n = 0; n < nodeCount; n++)
        {
            string nodeKey = chain.DevKeys[1 + n];
            var (channel, gas) = await payer.OpenAsync(PaymentKeys.AddressOf(nodeKey), price * perNode);
            escrowGas += gas;
            Voucher last = null!;
            signWatch.Start();
            for (int t = 1; t <= perNode; t++, signed++) last = signer.Sign(channel, price * t, t); // one voucher per tile
            signWatch.Stop();
            vouchers.Add((nodeKey, last));
        }
        foreach (var (nodeKey, voucher) in vouchers)
            escrowGas += (await new EscrowClient(chain.Web3For(nodeKey), contracts.Escrow, contracts.Token).RedeemAsync(voucher)).GasUsed.Value;

        var verifier = new VoucherVerifier(domain, PaymentKeys.AddressOf(chain.DevKeys[1]), new EscrowClient(chain.Web3For(chain.DevKeys[1]), contracts.Escrow, contracts.Token));
        var sample = vouchers[0].Voucher;
        const int verifyCount = 500;
        var verifyWatch = Stopwatch.StartNew();
        for (int i = 0; i < verifyCount; i++) verifier.RecoverSigner(sample);
        verifyWatch.Stop();

        // Baseline: every tile paid by its own ERC-20 transfer, to the same nodes.
        var token = new TokenClient(chain.Web3For(payerKey), contracts.Token);
        BigInteger transferGas = 0;
        for (int t = 0; t < perNode * nodeCount; t++)
            transferGas += (await token.TransferAsync(PaymentKeys.AddressOf(chain.DevKeys[1 + nodeCount + t % nodeCount]), price)).GasUsed.Value;

        Console.WriteLine($"job of {perNode * nodeCount} tiles over {nodeCount} nodes: escrow {escrowGas:N0} gas (approve+open and one redeem per node) " +
                          $"vs {perNode * nodeCount} ERC-20 transfers {transferGas:N0} gas: ratio {(double)escrowGas / (double)transferGas:F4}");
        Console.WriteLine($"vouchers signed: {signed / signWatch.Elapsed.TotalSeconds:F0}/s; verified (EIP-712 signature recovery): " +
                          $"{verifyCount / verifyWatch.Elapsed.TotalSeconds:F0}/s (one thread)");
        return 0;
    }
}
