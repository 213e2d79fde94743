using System.CommandLine;
using System.Numerics;
using System.Text.Json;
using RenderNet.Payments;

namespace RenderNet.Cli.Commands;

/// <summary>`rendernet chain up`: a local anvil chain with RenderNet's contracts deployed, until Ctrl+C.</summary>
static class ChainCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the RPC URL and addresses as JSON" };
        var supply = new Option<string>("--supply") { Description = "Token supply minted to dev account 0, in whole tokens", DefaultValueFactory = _ => "1000000" };
        var up = new Command("up", "Start a local anvil chain, deploy RenderToken, NodeRegistry and TileEscrow, print their addresses, run until Ctrl+C") { json, supply };
        up.SetAction((parse, cancellation) => UserErrors.Run(async () =>
        {
            if (!BigInteger.TryParse(parse.GetValue(supply), out var whole) || whole <= 0)
                throw new ArgumentException($"--supply '{parse.GetValue(supply)}' is not a positive whole number of tokens");
            using var chain = StartChain();
            var contracts = await PaymentContracts.DeployAsync(chain.Web3For(chain.DevKeys[0]), whole * BigInteger.Pow(10, 18), 3600, 3600);
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    rpc = chain.RpcUrl, chain_id = chain.ChainId, token = contracts.Token, registry = contracts.Registry, escrow = contracts.Escrow,
                    dev_accounts = chain.DevKeys.Select(PaymentKeys.AddressOf),
                }, new JsonSerializerOptions { WriteIndented = true }));
            else
            {
                Console.WriteLine($"rpc       {chain.RpcUrl} (chain id {chain.ChainId})");
                Console.WriteLine($"token     {contracts.Token}");
                Console.WriteLine($"registry  {contracts.Registry}");
                Console.WriteLine($"escrow    {contracts.Escrow}");
                Console.WriteLine($"payer     {PaymentKeys.AddressOf(chain.DevKeys[0])} (anvil dev account 0, holds the supply)");
                Console.Error.WriteLine("rendernet: chain running; Ctrl+C stops it");
            }
            await Task.Delay(Timeout.Infinite, cancellation).ContinueWith(_ => { }, TaskScheduler.Default);
            return ExitCodes.Success;
        }));
        return new Command("chain", "Local EVM chain for payments") { up };
    }

    static AnvilChain StartChain()
    {
        try { return AnvilChain.Start(); }
        catch (FileNotFoundException ex) { throw new PaymentException(ex.Message); }
    }
}
