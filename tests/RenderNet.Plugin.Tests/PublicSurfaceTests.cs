using System.Reflection;

namespace RenderNet.Plugin.Tests;

/// <summary>The plugin's public surface is its own: engines see no gRPC, Nethereum, Vulkan or RenderNet internals.</summary>
public sealed class PublicSurfaceTests
{
    static IEnumerable<Type> Mentioned(Type type)
    {
        if (type.IsByRef || type.IsArray || type.IsPointer) return Mentioned(type.GetElementType()!);
        if (type.IsGenericParameter) return [];
        return type.IsGenericType ? type.GetGenericArguments().SelectMany(Mentioned).Prepend(type.GetGenericTypeDefinition()) : [type];
    }

    [Fact]
    public void Public_members_mention_only_system_and_plugin_types()
    {
        var assembly = typeof(RenderFarm).Assembly;
        var offenders = new List<string>();
        foreach (var type in assembly.GetExportedTypes())
        {
            var types = new List<(string Where, Type Type)>();
            if (type.BaseType is { } baseType) types.Add(($"{type.Name} : base", baseType));
            types.AddRange(type.GetInterfaces().Select(i => ($"{type.Name} : interface", i)));
            foreach (var member in type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                string where = $"{type.Name}.{member.Name}";
                switch (member)
                {
                    case MethodBase method:
                        types.AddRange(method.GetParameters().Select(p => (where, p.ParameterType)));
                        if (method is MethodInfo m) types.Add((where, m.ReturnType));
                        break;
                    case PropertyInfo property: types.Add((where, property.PropertyType)); break;
                    case FieldInfo field: types.Add((where, field.FieldType)); break;
                    case EventInfo e: types.Add((where, e.EventHandlerType!)); break;
                }
            }
            foreach (var (where, t) in types)
                foreach (var mentioned in Mentioned(t))
                    if (!(mentioned.Namespace ?? "").StartsWith("System") && mentioned.Assembly != assembly)
                        offenders.Add($"{where}: {mentioned.FullName}");
        }
        Assert.True(offenders.Count == 0, string.Join("\n", offenders.Distinct()));
    }

    [Fact]
    public void The_surface_is_small()
    {
        // A deliberate list: a new public type is an API decision, made here too.
        string[] expected =
        [
            "BudgetExhaustedException", "ChainSettings", "FrameRange", "InvalidSceneException", "LocalFarmOptions", "LocalNetworkException",
            "NoCompatibleNodeException", "NodeReceipt", "PixelFormat", "ProblemSeverity", "RenderEstimate", "RenderFailedException", "RenderFarm",
            "RenderFarmException", "RenderFarmOptions", "RenderImage", "RenderJob", "RenderJobState", "RenderNodeInfo", "RenderProblem",
            "RenderProgress", "RenderQualityMode", "RenderRequest", "RenderResult", "RenderScene", "RenderSceneBuilder", "RenderTile", "RenderView",
            "RenderWallet", "SceneLightKind", "SceneMaterial",
        ];
        Assert.Equal(expected, typeof(RenderFarm).Assembly.GetExportedTypes().Select(t => t.Name).Order(StringComparer.Ordinal));
    }
}
