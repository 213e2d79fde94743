namespace RenderNet.Service.Tests;

public class NodeAdmissionTests
{
    [Fact]
    public void Any_admits_every_key_and_a_list_only_its_addresses_whatever_their_case()
    {
        Assert.Null(NodeAdmission.Parse("any").Refusal("0x1111111111111111111111111111111111111111"));
        var pool = NodeAdmission.Parse("0xAbCdEf0000000000000000000000000000000001, 0x2222222222222222222222222222222222222222");
        Assert.Null(pool.Refusal("0xabcdef0000000000000000000000000000000001"));
        Assert.Equal("0x3333333333333333333333333333333333333333 is not among the nodes this service accepts", pool.Refusal("0x3333333333333333333333333333333333333333"));
    }

    [Fact]
    public async Task Registered_admits_only_registered_unslashed_nodes_with_the_minimum_stake()
    {
        var standings = new Dictionary<string, (System.Numerics.BigInteger, bool, bool)>
        {
            ["0x1111111111111111111111111111111111111111"] = (100, true, false),
            ["0x2222222222222222222222222222222222222222"] = (99, true, false),
            ["0x3333333333333333333333333333333333333333"] = (0, false, true),
            ["0x4444444444444444444444444444444444444444"] = (500, false, false),
        };
        var admission = NodeAdmission.Parse("registered") with { Registry = a => Task.FromResult(standings[a]), MinStake = 100 };
        Assert.Null(await admission.RefusalAsync("0x1111111111111111111111111111111111111111"));
        Assert.Equal("0x2222222222222222222222222222222222222222 stakes 99, less than the 100 this service requires", await admission.RefusalAsync("0x2222222222222222222222222222222222222222"));
        Assert.Equal("0x3333333333333333333333333333333333333333 was slashed for a lie", await admission.RefusalAsync("0x3333333333333333333333333333333333333333"));
        Assert.Contains("is not registered", await admission.RefusalAsync("0x4444444444444444444444444444444444444444"));
        Assert.Contains("has no registry", await NodeAdmission.Parse("registered").RefusalAsync("0x1111111111111111111111111111111111111111"));
    }

    [Theory]
    [InlineData("everyone", "'everyone' is neither 'any', 'registered' nor an address")]
    [InlineData("0x12", "'0x12' is neither 'any', 'registered' nor an address")]
    [InlineData(" , ", "needs 'any', 'registered' or at least one address")]
    public void A_bad_admission_list_names_the_entry(string text, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => NodeAdmission.Parse(text)).Message);
}

public class JobNodeSelectionTests
{
    [Fact]
    public void A_submissions_node_selectors_are_checked_and_each_bad_one_is_named()
    {
        string dir = Directory.CreateTempSubdirectory("rendernet-plan").FullName;
        try
        {
            var submission = new RenderNet.Client.Wire.JobSubmission
            {
                Render = new RenderNet.Client.Wire.RenderSettings { SceneSha256 = new string('0', 64), Width = 64, Height = 64 },
                Nodes = new RenderNet.Client.Wire.NodeSelectionSettings { Require = "pool=studio-a", Prefer = "vram>=lots", Deny = "gpu" },
            };
            var plan = JobPlan.For(submission, new SceneStore(Path.Combine(dir, "s"), 1 << 20), new MediaStore(Path.Combine(dir, "m"), 1 << 20));
            Assert.Contains(plan.Errors, e => e.Field == "nodes.prefer" && e.Message.Contains("'vram>=lots': >= compares numbers"));
            Assert.Contains(plan.Errors, e => e.Field == "nodes.deny" && e.Message.Contains("'gpu' is not key=value"));
            Assert.DoesNotContain(plan.Errors, e => e.Field == "nodes.require");
            Assert.Equal("pool=studio-a", plan.Selection!.Require!.ToString());
        }
        finally { Directory.Delete(dir, true); }
    }
}
