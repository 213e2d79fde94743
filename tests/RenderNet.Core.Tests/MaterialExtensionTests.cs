using System.Numerics;
using System.Runtime.InteropServices;
using RenderNet.Core.Gltf;
using SharpGLTF.Schema2;

namespace RenderNet.Core.Tests;

/// <summary>The material extensions exporters write (Blender: KHR_materials_specular and _ior on every material) are read, not ignored.</summary>
public sealed class MaterialExtensionTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("rendernet-materials").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    static readonly Vector3[] Corners = [new(0, 0, 0), new(1, 0, 0), new(0, 1, 0)];

    /// <summary>A triangle whose material SharpGLTF writes with the specular and IOR extensions.</summary>
    string WriteWithSharpGltf(float specular, Vector3 specularColor, float ior)
    {
        var model = ModelRoot.CreateModel();
        var material = model.CreateMaterial("blender wall");
        material.InitializePBRMetallicRoughness("Specular");
        material.FindChannel("BaseColor")!.Value.Parameters[0].Value = new Vector4(0.8f, 0.8f, 0.8f, 1);
        var factor = material.FindChannel("SpecularFactor")!.Value;
        factor.Parameters.Single(p => p.Name == "SpecularFactor").Value = specular;
        material.FindChannel("SpecularColor")!.Value.Parameters.Single(p => p.Name == "RGB").Value = specularColor;
        material.IndexOfRefraction = ior;
        return SaveTriangle(model, material, "specular.glb");
    }

    /// <summary>Saves one triangle with <paramref name="material"/> as <paramref name="name"/> in the test folder.</summary>
    string SaveTriangle(ModelRoot model, Material material, string name)
    {
        var mesh = model.CreateMesh("triangle");
        var prim = mesh.CreatePrimitive();
        var accessor = model.CreateAccessor();
        accessor.SetVertexData(model.UseBufferView(MemoryMarshal.AsBytes(Corners.AsSpan()).ToArray(), 0, null, 0, BufferMode.ARRAY_BUFFER), 0, 3, new SharpGLTF.Memory.AttributeFormat(DimensionType.VEC3));
        prim.SetVertexAccessor("POSITION", accessor);
        prim.Material = material;
        model.UseScene("s").CreateNode("n").Mesh = mesh;
        string path = Path.Combine(dir, name);
        model.SaveGLB(path);
        return path;
    }

    [Fact]
    public void Specular_and_ior_written_by_SharpGLTF_are_read_without_a_warning()
    {
        var scene = GltfSceneLoader.Load(WriteWithSharpGltf(0f, new Vector3(1, 0.5f, 0.25f), 1.33f));
        var m = Assert.Single(scene.Materials);
        Assert.Equal(0f, m.SpecularFactor);
        Assert.Equal(new Vector3(1, 0.5f, 0.25f), m.SpecularColor);
        Assert.Equal(1.33f, m.Ior);
        Assert.Equal(0.0201, m.DielectricF0, 1e-4);
        Assert.DoesNotContain(scene.Warnings, w => w.Contains("KHR_materials_specular") || w.Contains("KHR_materials_ior"));
    }

    [Fact]
    public void Without_the_extensions_a_material_keeps_the_core_specs_four_percent_dielectric()
    {
        var scene = GltfSceneLoader.Load(WriteDefault());
        var m = Assert.Single(scene.Materials);
        Assert.Equal((1f, Vector3.One, 1.5f), (m.SpecularFactor, m.SpecularColor, m.Ior));
        Assert.Equal(0.04, m.DielectricF0, 1e-6);
    }

    string WriteDefault()
    {
        var model = ModelRoot.CreateModel();
        var material = model.CreateMaterial("plain");
        material.InitializePBRMetallicRoughness();
        return SaveTriangle(model, material, "plain.glb");
    }

    [Fact]
    public void Transmission_volume_clearcoat_and_sheen_written_by_SharpGLTF_are_read_without_a_warning()
    {
        var model = ModelRoot.CreateModel();
        var material = model.CreateMaterial("lacquered glass");
        material.InitializePBRMetallicRoughness("Transmission", "Volume", "ClearCoat", "Sheen");
        static void Set(Material m, string channel, string parameter, object value) =>
            m.FindChannel(channel)!.Value.Parameters.Single(p => p.Name == parameter).Value = value;
        Set(material, "Transmission", "TransmissionFactor", 0.75f);
        Set(material, "VolumeThickness", "ThicknessFactor", 0.2f);
        Set(material, "VolumeAttenuation", "RGB", new Vector3(0.5f, 0.25f, 1f));
        Set(material, "VolumeAttenuation", "AttenuationDistance", 2f);
        Set(material, "ClearCoat", "ClearCoatFactor", 0.9f);
        Set(material, "ClearCoatRoughness", "RoughnessFactor", 0.1f);
        Set(material, "SheenColor", "RGB", new Vector3(0.2f, 0.4f, 0.6f));
        Set(material, "SheenRoughness", "RoughnessFactor", 0.3f);
        var scene = GltfSceneLoader.Load(SaveTriangle(model, material, "layers.glb"));

        var m = Assert.Single(scene.Materials);
        Assert.Equal((0.75f, 0.2f, true), (m.Transmission, m.Thickness, m.IsVolume));
        Assert.Equal((new Vector3(0.5f, 0.25f, 1f), 2f), (m.AttenuationColor, m.AttenuationDistance));
        // Beer–Lambert: after 2 units the light keeps the attenuation colour.
        Assert.Equal(MathF.Log(2) / 2, m.AbsorptionCoefficient.X, 1e-6f);
        Assert.Equal(MathF.Log(4) / 2, m.AbsorptionCoefficient.Y, 1e-6f);
        Assert.Equal(0f, m.AbsorptionCoefficient.Z);
        Assert.Equal((0.9f, 0.1f), (m.Clearcoat, m.ClearcoatRoughness));
        Assert.Equal((new Vector3(0.2f, 0.4f, 0.6f), 0.3f), (m.SheenColor, m.SheenRoughness));
        Assert.Empty(scene.Warnings);
    }

    [Fact]
    public void Transmission_without_a_volume_is_a_thin_wall_and_an_absent_attenuation_distance_absorbs_nothing()
    {
        var model = ModelRoot.CreateModel();
        var material = model.CreateMaterial("window");
        material.InitializePBRMetallicRoughness("Transmission");
        material.FindChannel("Transmission")!.Value.Parameters.Single(p => p.Name == "TransmissionFactor").Value = 1f;
        var m = Assert.Single(GltfSceneLoader.Load(SaveTriangle(model, material, "window.glb")).Materials);
        Assert.Equal((1f, false), (m.Transmission, m.IsVolume));
        Assert.Equal(float.PositiveInfinity, m.AttenuationDistance);
        Assert.Equal(Vector3.Zero, m.AbsorptionCoefficient);
    }

    [Theory]
    [InlineData("\"specularFactor\": 1e999", "Infinity")]
    [InlineData("\"specularFactor\": -3", "-3")]
    [InlineData("\"specularFactor\": 7", "7")]
    public void A_specular_factor_out_of_range_refuses_the_file_naming_the_field(string json, string value)
    {
        string path = Path.Combine(dir, "hostile.gltf");
        File.WriteAllText(path, """
            {"asset":{"version":"2.0"},"extensionsUsed":["KHR_materials_specular"],
             "buffers":[{"byteLength":36,"uri":"data:application/octet-stream;base64,AAAAAAAAAAAAAAAAAACAPwAAAAAAAAAAAAAAAAAAgD8AAAAA"}],
             "bufferViews":[{"buffer":0,"byteLength":36}],
             "accessors":[{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3","min":[0,0,0],"max":[1,1,0]}],
             "materials":[{"name":"m","extensions":{"KHR_materials_specular":{ JSON }}}],
             "meshes":[{"primitives":[{"attributes":{"POSITION":0},"material":0}]}],
             "nodes":[{"mesh":0}],"scenes":[{"nodes":[0]}],"scene":0}
            """.Replace("JSON", json));
        var ex = Assert.Throws<RenderNet.Core.Scenes.SceneException>(() => GltfSceneLoader.Load(path));
        Assert.Contains($"is not a readable glTF 2.0 file: ModelRoot _specularFactor {value} must be greater than or equal to 0", ex.Message);
    }
}
