using System.Numerics;
using RenderNet.Core.Acceleration;
using RenderNet.Core.Scenes;

namespace RenderNet.Vulkan;

/// <summary>
/// A scene and its BVH packed into the std430 arrays that shaders/pathtrace.comp reads (every record a multiple of
/// 16 bytes; floats stored by bit pattern in uint arrays). Pure CPU work, kept next to the shader whose layout it mirrors.
/// Triangles are stored in BVH leaf order ("slots").
/// </summary>
public sealed class GpuSceneData
{
    public const int TriVertsWords = 12;    // v0 + material, e1 + original index, e2
    public const int TriShadingWords = 20;  // n0,u0 | n1,v0 | n2,u1 | v1,u2,v2,emitter | c0,c1,c2,light tree trail
    public const int NodeWords = 8;
    /// <summary>min, power | max, cos θo | axis, cos θe | child or slot, flags (1 leaf, 2 two-sided).</summary>
    public const int LightNodeWords = 16;
    public const int MaterialWords = 64;   // 16 uvec4: see PackShading and MATERIAL_STRIDE in scene_shading.glsl
    public const int TextureWords = 12;     // 3 uvec4: see PackShading and TEXTURE_STRIDE in scene_shading.glsl
    public const int LightFloats = 16;

    /// <summary>
    /// KHR_lights_punctual gives intensities in photometric units (candela, lux); the renderer's pixels are radiometric
    /// (1.0 = 1 W·sr⁻¹·m⁻², shown as sRGB white). Dividing by 683 lm/W, the luminous efficacy that defines the candela,
    /// is the conversion Blender's glTF importer and exporter use, so a file lit in Blender renders at Blender's exposure.
    /// </summary>
    public const float LumensPerWatt = 683f;

    public required uint[] TriVerts { get; init; }
    /// <summary>Material and object of each triangle by its scene index (host only: the ids passes are resolved on the CPU from the triangle hit).</summary>
    public int[] TriangleMaterials { get; init; } = [];
    public int[] TriangleObjects { get; init; } = [];
    public required uint[] TriShading { get; init; }
    public required uint[] Nodes { get; init; }
    public required uint[] Materials { get; init; }
    public required uint[] Textures { get; init; }
    public required uint[] Texels { get; init; }
    public required float[] Lights { get; init; }
    /// <summary>The light tree over emissive triangles (<see cref="LightTree"/>), <see cref="LightNodeWords"/> per node.</summary>
    public required uint[] LightTreeNodes { get; init; }
    public required int LightCount { get; init; }
    public required int EmissiveTriangleCount { get; init; }
    public required int TriangleCount { get; init; }
    /// <summary>The material features the scene uses: the path tracer's specialization constant 0, so its pipeline
    /// holds only their code (on llvmpipe, code a scene never runs still cost it up to 5× its speed).</summary>
    public ShadingFeatures Features { get; init; }

    /// <summary>The storage buffers in binding order 1..8, with their names for error messages.</summary>
    public IEnumerable<(string Name, long Bytes)> BufferSizes() =>
    [
        ("triangle vertices", TriVerts.LongLength * 4),
        ("triangle shading", TriShading.LongLength * 4),
        ("BVH nodes", Nodes.LongLength * 4),
        ("materials", Materials.LongLength * 4),
        ("texture table", Textures.LongLength * 4),
        ("texels", Texels.LongLength * 4),
        ("lights", Lights.LongLength * 4),
        ("light tree", LightTreeNodes.LongLength * 4),
    ];

    /// <summary>Triangles rays may pass through (pathtrace.comp's RAY_* flags), kept with the triangle so a ray pays
    /// nothing extra at an opaque one: alpha mask, alpha blend, thin-walled transmission.</summary>
    public static uint RayFlags(PbrMaterial m) =>
        (m.AlphaMode == AlphaMode.Mask ? 1u : 0u) | (m.AlphaMode == AlphaMode.Blend ? 2u : 0u)
        | (m.Transmission > 0 && !m.IsVolume ? 4u : 0u);

    public static ShadingFeatures FeaturesOf(Scene scene)
    {
        var features = ShadingFeatures.None;
        foreach (var m in scene.Materials)
        {
            if (RayFlags(m) != 0) features |= ShadingFeatures.PassableSurfaces;
            if (m.Transmission > 0) features |= ShadingFeatures.Transmission;
            if (m.Clearcoat > 0) features |= ShadingFeatures.Clearcoat;
            if (m.SheenColor != Vector3.Zero) features |= ShadingFeatures.Sheen;
        }
        return features;
    }

    static uint F(float v) => BitConverter.SingleToUInt32Bits(v);
    static uint I(int v) => unchecked((uint)v);

    public static GpuSceneData Pack(Scene scene, Bvh bvh)
    {
        int n = scene.TriangleCount;
        var verts = new uint[checked(n * TriVertsWords)];
        var shading = new uint[checked(n * TriShadingWords)];
        for (int slot = 0; slot < n; slot++)
        {
            int t = bvh.TriangleOrder[slot];
            var p0 = scene.Positions[3 * t];
            var e1 = scene.Positions[3 * t + 1] - p0;
            var e2 = scene.Positions[3 * t + 2] - p0;
            var v = verts.AsSpan(slot * TriVertsWords, TriVertsWords);
            v[0] = F(p0.X); v[1] = F(p0.Y); v[2] = F(p0.Z); v[3] = I(scene.MaterialIds[t]);
            v[4] = F(e1.X); v[5] = F(e1.Y); v[6] = F(e1.Z); v[7] = I(t);
            v[8] = F(e2.X); v[9] = F(e2.Y); v[10] = F(e2.Z); v[11] = RayFlags(scene.Materials[scene.MaterialIds[t]]);

            var s = shading.AsSpan(slot * TriShadingWords, TriShadingWords);
            Vector3 n0 = scene.Normals[3 * t], n1 = scene.Normals[3 * t + 1], n2 = scene.Normals[3 * t + 2];
            Vector2 uv0 = scene.TexCoords[3 * t], uv1 = scene.TexCoords[3 * t + 1], uv2 = scene.TexCoords[3 * t + 2];
            s[0] = F(n0.X); s[1] = F(n0.Y); s[2] = F(n0.Z); s[3] = F(uv0.X);
            s[4] = F(n1.X); s[5] = F(n1.Y); s[6] = F(n1.Z); s[7] = F(uv0.Y);
            s[8] = F(n2.X); s[9] = F(n2.Y); s[10] = F(n2.Z); s[11] = F(uv1.X);
            s[12] = F(uv1.Y); s[13] = F(uv2.X); s[14] = F(uv2.Y);
            s[16] = scene.Colors[3 * t]; s[17] = scene.Colors[3 * t + 1]; s[18] = scene.Colors[3 * t + 2];
        }

        var nodes = new uint[bvh.Nodes.Length * NodeWords];
        for (int i = 0; i < bvh.Nodes.Length; i++)
        {
            var node = bvh.Nodes[i];
            var d = nodes.AsSpan(i * NodeWords, NodeWords);
            d[0] = F(node.Min.X); d[1] = F(node.Min.Y); d[2] = F(node.Min.Z); d[3] = node.LeftOrFirst;
            d[4] = F(node.Max.X); d[5] = F(node.Max.Y); d[6] = F(node.Max.Z); d[7] = node.Count;
        }

        var (materials, textures, texels, lights) = PackShading(scene);

        // Emissive triangles for light sampling: a light tree over them, power = area × luminance of the emissive
        // factor (× 2 when both sides emit). Each triangle keeps its trail in the tree, for the pdf of a hit on it.
        var emitters = new List<LightEmitter>();
        for (int slot = 0; slot < n; slot++)
        {
            int t = bvh.TriangleOrder[slot];
            var m = scene.Materials[scene.MaterialIds[t]];
            if (!m.IsEmissive) continue;
            var p0 = scene.Positions[3 * t];
            var e1 = scene.Positions[3 * t + 1] - p0;
            var e2 = scene.Positions[3 * t + 2] - p0;
            var cross = Vector3.Cross(e1, e2);
            double power = 0.5 * cross.Length() * Luminance(m.Emissive) * (m.DoubleSided ? 2 : 1);
            if (!(power > 0) || !float.IsFinite((float)power)) continue;
            emitters.Add(new LightEmitter(slot, Vector3.Min(p0, Vector3.Min(p0 + e1, p0 + e2)), Vector3.Max(p0, Vector3.Max(p0 + e1, p0 + e2)),
                Vector3.Normalize(cross), (float)power, m.DoubleSided));
        }
        var tree = LightTree.Build(emitters);
        var treeData = new uint[Math.Max(1, tree.Nodes.Length) * LightNodeWords];
        for (int i = 0; i < tree.Nodes.Length; i++)
        {
            var node = tree.Nodes[i];
            var d = treeData.AsSpan(i * LightNodeWords, LightNodeWords);
            d[0] = F(node.Min.X); d[1] = F(node.Min.Y); d[2] = F(node.Min.Z); d[3] = F(node.Power);
            d[4] = F(node.Max.X); d[5] = F(node.Max.Y); d[6] = F(node.Max.Z); d[7] = F(node.Cone.CosTheta);
            d[8] = F(node.Cone.Axis.X); d[9] = F(node.Cone.Axis.Y); d[10] = F(node.Cone.Axis.Z); d[11] = F(node.CosThetaE);
            d[12] = (uint)node.Child; d[13] = (node.IsLeaf ? 1u : 0u) | (node.TwoSided ? 2u : 0u);
        }
        foreach (var (slot, trail) in tree.Trail)
        {
            shading[slot * TriShadingWords + 15] = 1;       // in the light tree
            shading[slot * TriShadingWords + 19] = trail;
        }

        return new GpuSceneData
        {
            TriVerts = verts, TriShading = shading, Nodes = nodes, Materials = materials, Textures = textures,
            Texels = texels, Lights = lights, LightTreeNodes = treeData,
            LightCount = scene.Lights.Count, EmissiveTriangleCount = emitters.Count,
            TriangleCount = n,
            TriangleMaterials = scene.MaterialIds,
            TriangleObjects = scene.ObjectIds ?? new int[n],
            Features = FeaturesOf(scene),
        };
    }

    /// <summary>
    /// Materials, the texture table, texels and punctual lights as shaders/scene_shading.glsl reads them: what the
    /// path tracer and the rasteriser shade with (no geometry, so no BVH needed).
    /// </summary>
    public static (uint[] Materials, uint[] Textures, uint[] Texels, float[] Lights) PackShading(Scene scene, IReadOnlyList<PunctualLight>? lightsOverride = null)
    {
        var sceneLights = lightsOverride ?? scene.Lights;
        var materials = new uint[Math.Max(1, scene.Materials.Count) * MaterialWords];
        for (int i = 0; i < scene.Materials.Count; i++)
        {
            var m = scene.Materials[i];
            var d = materials.AsSpan(i * MaterialWords, MaterialWords);
            d[0] = F(m.BaseColorFactor.X); d[1] = F(m.BaseColorFactor.Y); d[2] = F(m.BaseColorFactor.Z); d[3] = F(m.BaseColorFactor.W);
            d[4] = F(m.Emissive.X); d[5] = F(m.Emissive.Y); d[6] = F(m.Emissive.Z); d[7] = F(m.AlphaCutoff);
            d[8] = F(m.MetallicFactor); d[9] = F(m.RoughnessFactor);
            d[12] = I(m.BaseColorTexture); d[13] = I(m.MetallicRoughnessTexture); d[14] = I(m.EmissiveTexture);
            d[15] = (m.DoubleSided ? 1u : 0u) | (uint)m.AlphaMode << 1; // bit 0: double-sided; bits 1-2: alpha mode (raster)
            d[16] = I(m.NormalTexture); d[17] = I(m.OcclusionTexture); d[18] = F(m.NormalScale); d[19] = F(m.OcclusionStrength);
            // KHR_materials_specular / _ior: the dielectric F0 (ior's reflectance × specular colour; textures and the
            // cap at 1 are applied in the shader) and the specular layer's weight.
            var f0 = m.SpecularColor * m.DielectricF0;
            d[20] = F(f0.X); d[21] = F(f0.Y); d[22] = F(f0.Z); d[23] = F(m.SpecularFactor);
            d[24] = I(m.SpecularTexture); d[25] = I(m.SpecularColorTexture);
            // KHR_materials_transmission / _volume: the ior itself (refraction needs it; an infinitely dense material
            // is capped), bit 0 of word 31 marks a refracting volume; the absorption coefficient.
            d[28] = F(m.Transmission); d[29] = I(m.TransmissionTexture); d[30] = F(MathF.Min(m.Ior, 1e4f)); d[31] = m.IsVolume ? 1u : 0u;
            var sigma = m.AbsorptionCoefficient;
            d[32] = F(sigma.X); d[33] = F(sigma.Y); d[34] = F(sigma.Z); d[35] = F(m.Clearcoat);
            // KHR_materials_clearcoat and _sheen.
            d[36] = I(m.ClearcoatTexture); d[37] = F(m.ClearcoatRoughness); d[38] = I(m.ClearcoatRoughnessTexture); d[39] = I(m.ClearcoatNormalTexture);
            d[40] = F(m.SheenColor.X); d[41] = F(m.SheenColor.Y); d[42] = F(m.SheenColor.Z); d[43] = F(m.SheenRoughness);
            d[44] = I(m.SheenColorTexture); d[45] = I(m.SheenRoughnessTexture); d[46] = F(m.ClearcoatNormalScale);
            // The sheen lobe's directional albedo at 16 view cosines, for the base layer's albedo scaling.
            if (m.SheenColor != Vector3.Zero)
            {
                var albedo = SheenAlbedo.Table(m.SheenRoughness);
                for (int k = 0; k < SheenAlbedo.Entries; k++) d[48 + k] = F(albedo[k]);
            }
        }

        // Each image's mip chain, level after level from its offset (level 0 is what the path tracer samples), stored
        // once however many texture references use it. Per reference, three uvec4: (offset, width, height, flags) —
        // flags: bits 0-1 wrap S, 2-3 wrap T, 4 sRGB, 8-12 the number of levels — then the rows of its
        // KHR_texture_transform, u' = (M11, M21, M31)·(u, v, 1) and v' = (M12, M22, M32)·(u, v, 1).
        var textures = new uint[Math.Max(1, scene.Textures.Count) * TextureWords];
        var chainOffsets = new Dictionary<uint[], (uint Offset, int Levels)>(ReferenceEqualityComparer.Instance);
        var chains = new List<IReadOnlyList<(int Width, int Height, uint[] Texels)>>();
        long texelCount = 0;
        foreach (var tex in scene.Textures)
        {
            if (chainOffsets.ContainsKey(tex.Texels)) continue;
            var chain = TextureMips.Build(tex);
            chainOffsets[tex.Texels] = (checked((uint)texelCount), chain.Count);
            chains.Add(chain);
            texelCount += chain.Sum(l => (long)l.Texels.Length);
        }
        var texels = new uint[Math.Max(1, texelCount)];
        long offset = 0;
        foreach (var level in chains.SelectMany(c => c))
        {
            level.Texels.CopyTo(texels, offset);
            offset += level.Texels.Length;
        }
        for (int i = 0; i < scene.Textures.Count; i++)
        {
            var tex = scene.Textures[i];
            var (start, levels) = chainOffsets[tex.Texels];
            var m = tex.UvTransform;
            var d = textures.AsSpan(i * TextureWords, TextureWords);
            d[0] = start; d[1] = (uint)tex.Width; d[2] = (uint)tex.Height;
            d[3] = (uint)tex.WrapS | (uint)tex.WrapT << 2 | (tex.IsSrgb ? 16u : 0u) | (uint)levels << 8;
            d[4] = F(m.M11); d[5] = F(m.M21); d[6] = F(m.M31);
            d[8] = F(m.M12); d[9] = F(m.M22); d[10] = F(m.M32);
        }

        var lights = new float[Math.Max(1, sceneLights.Count) * LightFloats];
        for (int i = 0; i < sceneLights.Count; i++)
        {
            var l = sceneLights[i];
            var d = lights.AsSpan(i * LightFloats, LightFloats);
            d[0] = l.Position.X; d[1] = l.Position.Y; d[2] = l.Position.Z; d[3] = (int)l.Kind;
            d[4] = l.Direction.X; d[5] = l.Direction.Y; d[6] = l.Direction.Z; d[7] = float.IsFinite(l.Range) ? l.Range : 0f;
            var radiant = l.Color * (l.Intensity / LumensPerWatt);
            d[8] = radiant.X; d[9] = radiant.Y; d[10] = radiant.Z;
            d[12] = MathF.Cos(l.InnerConeAngle); d[13] = MathF.Cos(l.OuterConeAngle);
        }

        return (materials, textures, texels, lights);
    }

    /// <summary>Rec. 709 luminance, the same weights as luminance() in the shader.</summary>
    public static double Luminance(Vector3 c) => 0.2126 * c.X + 0.7152 * c.Y + 0.0722 * c.Z;
}
