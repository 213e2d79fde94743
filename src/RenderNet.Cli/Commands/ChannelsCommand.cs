using System.CommandLine;
using System.Numerics;
using System.Text.Json;
using RenderNet.Payments;

namespace RenderNet.Cli.Commands;

/// <summary>
/// `rendernet channels reclaim`: gets a payer's unused deposits back from the escrow. Each open channel first gets an
/// unlock request (its node then redeems what it earned, and takes no more work on it); once the escrow's unlock delay
/// has passed, running the command again takes the rest back. Run it until every channel says "closed".
/// </summary>
static class ChannelsCommand
{
    public static Command Create()
    {
        var rpc = new Option<string>("--rpc") { Description = "The chain's JSON-RPC URL", Required = true };
        var escrow = new Option<string>("--escrow") { Description = "The TileEscrow address", Required = true };
        var token = new Option<string>("--token") { Description = "The RenderToken address", Required = true };
        var keystore = new Option<string>("--payer-keystore") { Description = "The payer's keystore (password in $RENDERNET_PAYER_PASSWORD)", Required = true };
        var json = new Option<bool>("--json") { Description = "One JSON object per channel" };
        var reclaim = new Command("reclaim", "Ask for every open channel's unused deposit back, and take back those whose unlock delay has passed") { rpc, escrow, token, keystore, json };
        reclaim.SetAction((parse, cancellation) => UserErrors.Run(async () =>
        {
            string key = PaymentKeys.FromKeystore(parse.GetValue(keystore)!, SecretVariables.PayerPassword);
            var plain = new Nethereum.Web3.Web3(parse.GetValue(rpc)!);
            long chainId = (long)(await plain.Eth.ChainId.SendRequestAsync()).Value;
            var client = new EscrowClient(new Nethereum.Web3.Web3(new Nethereum.Web3.Accounts.Account(key, chainId), parse.GetValue(rpc)!), parse.GetValue(escrow)!, parse.GetValue(token)!);
            var rows = await ReclaimAsync(client, PaymentKeys.AddressOf(key));
            foreach (var r in rows)
                Console.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(new { channel = r.Channel.ToString(), state = r.State, amount = r.Amount.ToString(), reclaimable_at = r.ReclaimableAt })
                    : $"channel {r.Channel}: {r.State}" + (r.Amount > 0 ? $" ({r.Amount})" : "") + (r.ReclaimableAt > 0 ? $", reclaimable from {DateTimeOffset.FromUnixTimeSeconds((long)r.ReclaimableAt):u}" : ""));
            if (rows.Count == 0) Console.Error.WriteLine("rendernet: this payer has no channels on the escrow");
            return ExitCodes.Success;
        }));
        return new Command("channels", "The payer's channels on an escrow") { reclaim };
    }

    public sealed record Row(BigInteger Channel, string State, BigInteger Amount, ulong ReclaimableAt);

    /// <summary>One pass over the payer's channels: request unlocks, reclaim what is due, report the rest.</summary>
    public static async Task<IReadOnlyList<Row>> ReclaimAsync(EscrowClient escrow, string payer)
    {
        var rows = new List<Row>();
        ulong now = await escrow.ChainTimeAsync();
        foreach (var id in await escrow.ChannelsOpenedByAsync(payer))
        {
            var c = await escrow.ChannelAsync(id);
            if (c.Closed) rows.Add(new Row(id, "closed", 0, 0));
            else if (c.UnlockAt == 0)
            {
                await escrow.RequestUnlockAsync(id);
                var after = await escrow.ChannelAsync(id);
                rows.Add(new Row(id, "unlock requested", after.Deposit - after.Claimed, after.UnlockAt));
            }
            else if (now >= c.UnlockAt)
            {
                var before = await escrow.ChannelAsync(id);
                await escrow.ReclaimAsync(id);
                rows.Add(new Row(id, "reclaimed", before.Deposit - before.Claimed, 0));
            }
            else rows.Add(new Row(id, "unlocking", c.Deposit - c.Claimed, c.UnlockAt));
        }
        return rows;
    }
}
