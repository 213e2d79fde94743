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

    [Theory]
    [InlineData("everyone", "'everyone' is neither 'any' nor an address")]
    [InlineData("0x12", "'0x12' is neither 'any' nor an address")]
    [InlineData(" , ", "needs 'any' or at least one address")]
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
