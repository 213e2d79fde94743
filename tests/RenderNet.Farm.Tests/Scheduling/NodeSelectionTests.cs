using RenderNet.Protocol;

namespace RenderNet.Farm.Tests.Scheduling;

/// <summary>A studio pins, prefers and denies nodes by tags and pools.</summary>
public class NodeSelectionTests
{
    static NodeTags Tags(string identity, string device, string[] declared, Dictionary<string, IReadOnlySet<string>>? pools = null)
    {
        var caps = new Capabilities { DeviceName = device };
        caps.Tags.AddRange(declared);
        return NodeTags.Of(identity, caps, pools);
    }

    [Fact]
    public void Selectors_match_declared_tags_the_devices_vendor_identity_and_the_services_pools_only()
    {
        var pools = new Dictionary<string, IReadOnlySet<string>> { ["studio-a"] = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "0xAB" } };
        var rtx = Tags("0xab", "NVIDIA GeForce RTX 4090", ["vram=24", "region=EU", "pool=studio-b", "id=0xcd"], pools);
        var cpu = Tags("0xcd", "llvmpipe (LLVM 15.0.6, 256 bits)", ["vram=8"]);
        Assert.True(NodeSelector.Parse("pool=studio-a").Matches(rtx));
        Assert.False(NodeSelector.Parse("pool=studio-b").Matches(rtx)); // a node cannot put itself in a pool
        Assert.False(NodeSelector.Parse("id=0xcd").Matches(rtx)); // nor claim another identity
        Assert.True(NodeSelector.Parse("gpu=nvidia, vram>=16, region=eu").Matches(rtx));
        Assert.False(NodeSelector.Parse("gpu=nvidia,vram>=16").Matches(cpu));
        Assert.True(NodeSelector.Parse("gpu=nvidia,vram>=16; id=0xCD").Matches(cpu)); // alternatives
        Assert.True(NodeSelector.Parse("gpu!=cpu").Matches(rtx));
        Assert.True(NodeSelector.Parse("vram<=8").Matches(cpu));
        Assert.False(NodeSelector.Parse("region=eu").Matches(cpu)); // a tag it lacks
        Assert.Equal("gpu=nvidia,vram>=16;id=0xcd", NodeSelector.Parse(" gpu=NVIDIA , vram>=16 ; id=0xCD ").ToString());
    }

    [Theory]
    [InlineData("vram>=lots", "'vram>=lots': >= compares numbers")]
    [InlineData("gpu", "'gpu' is not key=value")]
    [InlineData("GPU stuff=x", "is not key=value")]
    [InlineData(" ; ", "has no terms")]
    public void A_bad_selector_names_the_term(string text, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => NodeSelector.Parse(text)).Message);

    [Theory]
    [InlineData("vram=24", null)]
    [InlineData("pool=studio-a", "the service's to say")]
    [InlineData("Vram=24", "a key is")]
    [InlineData("vram", "is not key=value")]
    public void A_node_declares_only_well_formed_tags_of_its_own(string tag, string? problem)
    {
        if (problem is null) Assert.Null(NodeTags.Problem(tag));
        else Assert.Contains(problem, NodeTags.Problem(tag));
    }

    [Fact]
    public async Task Required_pools_pin_the_job_denied_nodes_get_nothing_and_preferred_nodes_get_the_work_they_have_slots_for()
    {
        var pools = new Dictionary<string, IReadOnlySet<string>> { ["studio-a"] = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "a", "b", "c" } };
        var farm = new FakeFarm();
        var a = new FakeNode("a", farm.Clock) { Slots = 2, Tags = ["vram=24"] };
        var b = new FakeNode("b", farm.Clock) { Tags = ["vram=8"] };
        var c = farm.Node("c");
        var outsider = farm.Node("outsider");
        var selection = new NodeSelection(NodeSelector.Parse("pool=studio-a"), NodeSelector.Parse("vram>=16"), NodeSelector.Parse("id=c"));
        var options = new FarmOptions { Selection = selection, Pools = pools, SpeculativeStragglers = false };

        // Two tiles, two free slots on the preferred node: it takes both, though "b" is idle.
        var few = new FakeWorkload(2);
        var run = await farm.RunAsync(few, options, [a, b, c, outsider]);
        Assert.All(few.Accepted.Values, x => Assert.Equal("a", x.Node));
        Assert.Equal("denied by the job (id=c)", run.Nodes.Single(n => n.Address == "c").Excluded);
        Assert.Equal("not among the nodes the job requires (pool=studio-a)", run.Nodes.Single(n => n.Address == "outsider").Excluded);
        Assert.Equal((0, 0), (c.Started, outsider.Started));

        // More tiles than the preferred node has slots: the others in the pool take what it leaves.
        var next = new FakeFarm();
        var many = new FakeWorkload(12);
        await next.RunAsync(many, options, [new FakeNode("a", next.Clock) { Slots = 2, Tags = ["vram=24"] }, new FakeNode("b", next.Clock) { Tags = ["vram=8"] }]);
        Assert.Contains(many.Accepted.Values, x => x.Node == "b");
        Assert.True(many.Accepted.Values.Count(x => x.Node == "a") > many.Accepted.Values.Count(x => x.Node == "b"));
    }
}
