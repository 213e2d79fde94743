using System.Numerics;
using RenderNet.Core.Scenes;
using SharpGLTF.Schema2;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using GltfAlphaMode = SharpGLTF.Schema2.AlphaMode;
using SceneAlphaMode = RenderNet.Core.Scenes.AlphaMode;
using GltfLightType = SharpGLTF.Schema2.PunctualLightType;
using Scene = RenderNet.Core.Scenes.Scene;
using PunctualLight = RenderNet.Core.Scenes.PunctualLight;

namespace RenderNet.Core.Gltf;

/// <summary>
/// Reads .gltf/.glb files through SharpGLTF into a flattened world-space <see cref="Scene"/>.
/// Everything the renderer cannot reproduce is listed in <see cref="Scene.Warnings"/> instead of being dropped silently.
/// </summary>
public static class GltfSceneLoader
{
    static readonly HashSet<string> SupportedExtensions =
        ["KHR_lights_punctual", "KHR_materials_emissive_strength", "KHR_materials_specular", "KHR_materials_ior",
         "KHR_materials_transmission", "KHR_materials_volume", "KHR_materials_clearcoat", "KHR_materials_sheen",
         "KHR_texture_transform"];

    public static Scene Load(string path, AnimationPose? pose = null)
    {
        if (!File.Exists(path))
            throw new SceneException($"scene file '{path}' does not exist");
        ModelRoot model;
        try
        {
            model = ModelRoot.Load(Path.GetFullPath(path), new ReadSettings { Validation = SharpGLTF.Validation.ValidationMode.TryFix });
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new SceneException($"'{path}' is not a readable glTF 2.0 file: {FirstLine(ex.Message)}", ex);
        }
        return Load(model, Path.GetFileName(path), pose);
    }

    /// <summary>
    /// The scene as one self-contained .glb: a .glb file's own bytes, or a .gltf (with its buffers and images) packed
    /// into one. This is what travels to render nodes, content-addressed by its SHA-256.
    /// </summary>
    public static byte[] ReadAsGlb(string path)
    {
        if (!File.Exists(path))
            throw new SceneException($"scene file '{path}' does not exist");
        if (Path.GetExtension(path).Equals(".glb", StringComparison.OrdinalIgnoreCase))
            return File.ReadAllBytes(path);
        try
        {
            var model = ModelRoot.Load(Path.GetFullPath(path), new ReadSettings { Validation = SharpGLTF.Validation.ValidationMode.TryFix });
            return model.WriteGLB().ToArray();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new SceneException($"'{path}' is not a readable glTF 2.0 file: {FirstLine(ex.Message)}", ex);
        }
    }

    /// <summary>Loads a scene from .glb bytes (see <see cref="ReadAsGlb"/>), after checking them against <paramref name="budget"/>.</summary>
    public static Scene LoadGlb(ReadOnlyMemory<byte> glb, string name, AnimationPose? pose = null, SceneBudget? budget = null)
    {
        (budget ?? SceneBudget.Default).Check(glb.Span, name);
        ModelRoot model;
        try
        {
            model = ModelRoot.ParseGLB(new ArraySegment<byte>(glb.ToArray()), new ReadSettings { Validation = SharpGLTF.Validation.ValidationMode.TryFix });
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new SceneException($"'{name}' is not a readable glTF 2.0 file: {FirstLine(ex.Message)}", ex);
        }
        return Load(model, name, pose);
    }

    /// <param name="pose">An animation and time to pose the nodes at (SharpGLTF evaluates the TRS channels); the rest pose when null.</param>
    public static Scene Load(ModelRoot model, string name, AnimationPose? pose = null)
    {
        Animation? animation = null;
        if (pose is not null)
        {
            if (pose.Animation < 0 || pose.Animation >= model.LogicalAnimations.Count)
                throw new SceneException($"'{name}' has {model.LogicalAnimations.Count} animation(s); there is no animation #{pose.Animation}");
            if (!float.IsFinite(pose.Time)) throw new SceneException($"animation time {pose.Time} is not a number of seconds");
            animation = model.LogicalAnimations[pose.Animation];
        }
        var builder = new Builder(model, name, animation, pose?.Time ?? 0);
        return builder.Build();
    }

    /// <summary>The index of an animation of a .glb, by name or index.</summary>
    public static int FindAnimation(ReadOnlyMemory<byte> glb, string nameOrIndex) =>
        FindAnimation(ModelRoot.ParseGLB(new ArraySegment<byte>(glb.ToArray()), new ReadSettings { Validation = SharpGLTF.Validation.ValidationMode.TryFix }), nameOrIndex);

    /// <summary>The index of an animation given by name or index ("0", "Walk"); throws naming the ones there are.</summary>
    public static int FindAnimation(ModelRoot model, string nameOrIndex)
    {
        if (int.TryParse(nameOrIndex, out int index) && index >= 0 && index < model.LogicalAnimations.Count) return index;
        var byName = model.LogicalAnimations.FirstOrDefault(a => a.Name == nameOrIndex);
        if (byName is not null) return byName.LogicalIndex;
        throw new SceneException(model.LogicalAnimations.Count == 0
            ? "the scene has no animations"
            : $"no animation '{nameOrIndex}'; the scene has: {string.Join(", ", model.LogicalAnimations.Select(a => $"#{a.LogicalIndex} {a.Name}"))}");
    }

    static string FirstLine(string message) => message.Split('\n')[0].Trim();

    sealed class Builder(ModelRoot model, string name, Animation? animation, float time)
    {
        readonly List<Vector3> positions = [];
        readonly List<Vector3> normals = [];
        readonly List<Vector2> texCoords = [];
        readonly List<uint> colors = [];
        readonly List<int> materialIds = [];
        readonly List<int> objectIds = [];
        readonly List<PbrMaterial> materials = [];
        readonly Dictionary<int, int> materialIndex = [];
        readonly List<SceneTexture> textures = [];
        readonly Dictionary<(int Image, TextureWrap S, TextureWrap T, bool Srgb, Matrix3x2 Transform), int> textureIndex = [];
        readonly Dictionary<int, (int Width, int Height, uint[] Texels)> decodedImages = [];
        readonly List<PunctualLight> lights = [];
        readonly List<(int CameraIndex, int NodeIndex, SceneCamera Camera)> cameras = [];
        readonly SortedSet<string> warnings = new(StringComparer.Ordinal);
        int defaultMaterial = -1;

        public Scene Build()
        {
            foreach (var ext in model.ExtensionsUsed)
                if (!SupportedExtensions.Contains(ext))
                    warnings.Add($"extension {ext} is not supported and is ignored");
            var scene = model.DefaultScene ?? model.LogicalScenes.FirstOrDefault()
                ?? throw new SceneException($"'{name}' has no scene");
            if (model.LogicalScenes.Count > 1)
                warnings.Add($"the file has {model.LogicalScenes.Count} scenes; only '{scene.Name ?? "#" + scene.LogicalIndex}' is rendered");
            if (model.LogicalAnimations.Count > 0 && animation is null)
                warnings.Add("animations are not applied: the rest pose is rendered (render animated frames with --frames)");

            // Iterative, each world matrix from its parent's: a deep hierarchy costs linear time and no stack.
            var stack = new Stack<(Node Node, Matrix4x4 ParentWorld)>(scene.VisualChildren.Reverse().Select(n => (n, Matrix4x4.Identity)));
            while (stack.Count > 0)
            {
                var (node, parentWorld) = stack.Pop();
                var local = animation is null ? node.LocalMatrix : node.GetLocalTransform(animation, time).Matrix;
                var world = local * parentWorld;
                Visit(node, world);
                foreach (var child in node.VisualChildren.Reverse()) stack.Push((child, world));
            }

            if (materialIds.Count == 0)
                throw new SceneException($"'{name}' contains no triangles to render");

            return new Scene
            {
                Name = name,
                Positions = positions.ToArray(),
                Normals = normals.ToArray(),
                TexCoords = texCoords.ToArray(),
                Colors = colors.ToArray(),
                MaterialIds = materialIds.ToArray(),
                ObjectIds = objectIds.ToArray(),
                Materials = materials,
                Textures = textures,
                Lights = lights,
                Cameras = cameras.OrderBy(c => c.CameraIndex).ThenBy(c => c.NodeIndex).Select(c => c.Camera).ToList(),
                Warnings = warnings.ToList(),
            };
        }

        void Visit(Node node, Matrix4x4 world)
        {
            if (node.Mesh is { } mesh) AddMesh(mesh, world, node);
            if (node.PunctualLight is { } light) AddLight(light, world, node);
            if (node.Camera is { } camera) AddCamera(camera, world, node);
        }

        void AddMesh(Mesh mesh, Matrix4x4 world, Node node)
        {
            if (node.Skin is not null) warnings.Add("skinned meshes are rendered in their bind pose");
            if (!Matrix4x4.Invert(world, out var inverse))
            {
                warnings.Add($"node '{node.Name ?? "#" + node.LogicalIndex}' has a singular transform and is skipped");
                return;
            }
            var normalMatrix = Matrix4x4.Transpose(inverse);
            bool mirrored = world.GetDeterminant() < 0;

            foreach (var prim in mesh.Primitives)
            {
                if (prim.DrawPrimitiveType is PrimitiveType.POINTS or PrimitiveType.LINES or PrimitiveType.LINE_LOOP or PrimitiveType.LINE_STRIP)
                {
                    warnings.Add($"{prim.DrawPrimitiveType} primitives are not rendered");
                    continue;
                }
                if (prim.MorphTargetsCount > 0) warnings.Add("morph targets are not applied");
                var posAccessor = prim.GetVertexAccessor("POSITION");
                if (posAccessor is null)
                {
                    warnings.Add("a primitive without POSITION is skipped");
                    continue;
                }
                var pos = posAccessor.AsVector3Array();
                var nrm = prim.GetVertexAccessor("NORMAL")?.AsVector3Array();
                var uv = prim.GetVertexAccessor("TEXCOORD_0")?.AsVector2Array();
                var col = prim.GetVertexAccessor("COLOR_0")?.AsColorArray();
                int material = MaterialFor(prim.Material);

                foreach (var (a0, b0, c0) in prim.GetTriangleIndices())
                {
                    var (a, b, c) = mirrored ? (a0, c0, b0) : (a0, b0, c0);
                    var pa = Vector3.Transform(pos[a], world);
                    var pb = Vector3.Transform(pos[b], world);
                    var pc = Vector3.Transform(pos[c], world);
                    var face = Vector3.Cross(pb - pa, pc - pa);
                    float faceLength = face.Length();
                    // glTF: without NORMAL, clients must use flat normals.
                    var flat = faceLength > 0 ? face / faceLength : Vector3.UnitY;
                    positions.Add(pa); positions.Add(pb); positions.Add(pc);
                    foreach (int i in (ReadOnlySpan<int>)[a, b, c])
                    {
                        normals.Add(nrm is null ? flat : TransformNormal(nrm[i], normalMatrix, flat));
                        texCoords.Add(uv is null ? Vector2.Zero : uv[i]);
                        colors.Add(col is null ? 0xFFFFFFFFu : PackColor(col[i]));
                    }
                    materialIds.Add(material);
                    objectIds.Add(node.LogicalIndex);
                }
            }
        }

        static Vector3 TransformNormal(Vector3 n, Matrix4x4 normalMatrix, Vector3 fallback)
        {
            var t = Vector3.TransformNormal(n, normalMatrix);
            float len = t.Length();
            return len > 0 && float.IsFinite(len) ? t / len : fallback;
        }

        static uint PackColor(Vector4 c)
        {
            static uint B(float v) => (uint)Math.Clamp(MathF.Round(v * 255f), 0f, 255f);
            return B(c.X) | B(c.Y) << 8 | B(c.Z) << 16 | B(c.W) << 24;
        }

        int MaterialFor(Material? m)
        {
            if (m is null)
            {
                if (defaultMaterial < 0) { defaultMaterial = materials.Count; materials.Add(PbrMaterial.Default); }
                return defaultMaterial;
            }
            if (materialIndex.TryGetValue(m.LogicalIndex, out int existing)) return existing;

            if (m.Unlit) warnings.Add($"material '{m.Name}': KHR_materials_unlit is shaded as a lit material");
            var baseColor = m.FindChannel("BaseColor");
            var mr = m.FindChannel("MetallicRoughness");
            var emissive = m.FindChannel("Emissive");
            var normal = m.FindChannel("Normal");
            var occlusion = m.FindChannel("Occlusion");
            var specular = m.FindChannel("SpecularFactor");
            var specularColor = m.FindChannel("SpecularColor");
            var transmission = m.FindChannel("Transmission");
            var thickness = m.FindChannel("VolumeThickness");
            var attenuation = m.FindChannel("VolumeAttenuation");
            var clearcoat = m.FindChannel("ClearCoat");
            var clearcoatRoughness = m.FindChannel("ClearCoatRoughness");
            var clearcoatNormal = m.FindChannel("ClearCoatNormal");
            var sheenColor = m.FindChannel("SheenColor");
            var sheenRoughness = m.FindChannel("SheenRoughness");
            // Normal maps: both renderers. Occlusion maps: the rasteriser's ambient term only; the path tracer computes
            // the occlusion they approximate, so it rightly leaves them out.
            if (m.FindChannel("Diffuse") is not null)
                warnings.Add($"material '{m.Name}': KHR_materials_pbrSpecularGlossiness is not supported; defaults are used");

            var material = new PbrMaterial
            {
                Name = m.Name ?? $"material {m.LogicalIndex}",
                BaseColorFactor = baseColor?.Color ?? Vector4.One,
                BaseColorTexture = TextureFor(baseColor, srgb: true),
                MetallicFactor = mr?.GetFactor("MetallicFactor") ?? 1f,
                RoughnessFactor = mr?.GetFactor("RoughnessFactor") ?? 1f,
                MetallicRoughnessTexture = TextureFor(mr, srgb: false),
                Emissive = emissive is { } e
                    ? new Vector3(e.Color.X, e.Color.Y, e.Color.Z) * e.GetFactor("EmissiveStrength")
                    : Vector3.Zero,
                EmissiveTexture = TextureFor(emissive, srgb: true),
                NormalTexture = TextureFor(normal, srgb: false),
                NormalScale = normal?.GetFactor("NormalScale") ?? 1f,
                OcclusionTexture = TextureFor(occlusion, srgb: false),
                OcclusionStrength = occlusion?.GetFactor("OcclusionStrength") ?? 1f,
                SpecularFactor = Finite(specular?.GetFactor("SpecularFactor"), 1f, 0f, 1f),
                SpecularTexture = TextureFor(specular, srgb: false),
                SpecularColor = specularColor is { } sc
                    ? new Vector3(Finite(sc.Color.X, 1f, 0f, 1e3f), Finite(sc.Color.Y, 1f, 0f, 1e3f), Finite(sc.Color.Z, 1f, 0f, 1e3f))
                    : Vector3.One,
                SpecularColorTexture = TextureFor(specularColor, srgb: true),
                // glTF: ior 0 means an infinitely dense material (F0 = 1), else 1 ≤ ior.
                Ior = m.IndexOfRefraction is var ior && float.IsFinite(ior) && (ior == 0 || ior >= 1) ? (ior == 0 ? float.PositiveInfinity : ior) : 1.5f,
                Transmission = Finite(transmission?.GetFactor("TransmissionFactor"), 0f, 0f, 1f),
                TransmissionTexture = TextureFor(transmission, srgb: false),
                Thickness = Finite(thickness?.GetFactor("ThicknessFactor"), 0f, 0f, float.MaxValue),
                AttenuationColor = attenuation is { } at
                    ? new Vector3(Finite(at.Color.X, 1f, 0f, 1f), Finite(at.Color.Y, 1f, 0f, 1f), Finite(at.Color.Z, 1f, 0f, 1f))
                    : Vector3.One,
                // SharpGLTF reads an absent distance as float.MaxValue: infinite, no absorption.
                AttenuationDistance = attenuation?.GetFactor("AttenuationDistance") is > 0 and < float.MaxValue and var distance
                    ? distance : float.PositiveInfinity,
                Clearcoat = Finite(clearcoat?.GetFactor("ClearCoatFactor"), 0f, 0f, 1f),
                ClearcoatTexture = TextureFor(clearcoat, srgb: false),
                ClearcoatRoughness = Finite(clearcoatRoughness?.GetFactor("RoughnessFactor"), 0f, 0f, 1f),
                ClearcoatRoughnessTexture = TextureFor(clearcoatRoughness, srgb: false),
                ClearcoatNormalTexture = TextureFor(clearcoatNormal, srgb: false),
                ClearcoatNormalScale = Finite(clearcoatNormal?.GetFactor("NormalScale"), 1f, -1e3f, 1e3f),
                SheenColor = sheenColor is { } sh
                    ? new Vector3(Finite(sh.Color.X, 0f, 0f, 1f), Finite(sh.Color.Y, 0f, 0f, 1f), Finite(sh.Color.Z, 0f, 0f, 1f))
                    : Vector3.Zero,
                SheenColorTexture = TextureFor(sheenColor, srgb: true),
                SheenRoughness = Finite(sheenRoughness?.GetFactor("RoughnessFactor"), 0f, 0f, 1f),
                SheenRoughnessTexture = TextureFor(sheenRoughness, srgb: false),
                DoubleSided = m.DoubleSided,
                AlphaMode = m.Alpha switch { GltfAlphaMode.MASK => SceneAlphaMode.Mask, GltfAlphaMode.BLEND => SceneAlphaMode.Blend, _ => SceneAlphaMode.Opaque },
                AlphaCutoff = m.AlphaCutoff,
            };
            materialIndex[m.LogicalIndex] = materials.Count;
            materials.Add(material);
            return materials.Count - 1;
        }

        /// <summary>A factor from the file, bounded; NaN, infinities and absent values give the default.</summary>
        static float Finite(float? value, float fallback, float min, float max) =>
            value is { } v && float.IsFinite(v) ? Math.Clamp(v, min, max) : fallback;

        int TextureFor(MaterialChannel? channel, bool srgb)
        {
            if (channel?.Texture is not { } texture) return -1;
            // KHR_texture_transform's texCoord, when present, overrides the reference's own.
            if ((channel.Value.TextureTransform?.TextureCoordinateOverride ?? channel.Value.TextureCoordinate) != 0)
                warnings.Add("texture coordinate sets other than TEXCOORD_0 are not supported; TEXCOORD_0 is used");
            var transform = Matrix3x2.Identity;
            if (channel.Value.TextureTransform is { } tt)
            {
                transform = SceneTexture.TextureTransform(
                    new Vector2(Finite(tt.Offset.X, 0f, -1e6f, 1e6f), Finite(tt.Offset.Y, 0f, -1e6f, 1e6f)),
                    Finite(tt.Rotation, 0f, -1e6f, 1e6f),
                    new Vector2(Finite(tt.Scale.X, 1f, -1e6f, 1e6f), Finite(tt.Scale.Y, 1f, -1e6f, 1e6f)));
            }
            var image = texture.PrimaryImage;
            if (image is null) { warnings.Add("a texture without a decodable image is ignored"); return -1; }
            var sampler = texture.Sampler;
            var key = (image.LogicalIndex, Wrap(sampler?.WrapS), Wrap(sampler?.WrapT), srgb, transform);
            if (textureIndex.TryGetValue(key, out int existing)) return existing;

            var (width, height, texels) = Decode(image);
            textureIndex[key] = textures.Count;
            textures.Add(new SceneTexture(image.Name ?? $"image {image.LogicalIndex}", width, height, texels, key.Item2, key.Item3, srgb) { UvTransform = transform });
            return textures.Count - 1;
        }

        /// <summary>An image's RGBA8 texels, decoded once however many references (samplers, transforms) use it.</summary>
        (int Width, int Height, uint[] Texels) Decode(SharpGLTF.Schema2.Image image)
        {
            if (decodedImages.TryGetValue(image.LogicalIndex, out var done)) return done;
            try
            {
                using var decoded = SixLabors.ImageSharp.Image.Load<Rgba32>(image.Content.Content.Span);
                var pixels = new Rgba32[decoded.Width * decoded.Height];
                decoded.CopyPixelDataTo(pixels);
                var texels = new uint[pixels.Length];
                for (int i = 0; i < pixels.Length; i++)
                    texels[i] = pixels[i].R | (uint)pixels[i].G << 8 | (uint)pixels[i].B << 16 | (uint)pixels[i].A << 24;
                return decodedImages[image.LogicalIndex] = (decoded.Width, decoded.Height, texels);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw new SceneException($"'{name}': image {image.LogicalIndex} ('{image.Name}') cannot be decoded: {FirstLine(ex.Message)}", ex);
            }
        }

        static TextureWrap Wrap(TextureWrapMode? mode) => mode switch
        {
            TextureWrapMode.CLAMP_TO_EDGE => TextureWrap.ClampToEdge,
            TextureWrapMode.MIRRORED_REPEAT => TextureWrap.MirroredRepeat,
            _ => TextureWrap.Repeat,
        };

        void AddLight(SharpGLTF.Schema2.PunctualLight light, Matrix4x4 world, Node node)
        {
            var kind = light.LightType switch
            {
                GltfLightType.Directional => LightKind.Directional,
                GltfLightType.Spot => LightKind.Spot,
                _ => LightKind.Point,
            };
            var direction = Vector3.Normalize(Vector3.TransformNormal(-Vector3.UnitZ, world));
            lights.Add(new PunctualLight(light.Name ?? node.Name ?? $"light {light.LogicalIndex}", kind, world.Translation, direction,
                light.Color, light.Intensity, light.Range > 0 ? light.Range : float.PositiveInfinity,
                light.InnerConeAngle, light.OuterConeAngle));
        }

        void AddCamera(Camera camera, Matrix4x4 world, Node node)
        {
            string cameraName = camera.Name ?? node.Name ?? $"camera {camera.LogicalIndex}";
            SceneCamera result = camera.Settings switch
            {
                CameraPerspective p => new SceneCamera(cameraName, world, ProjectionKind.Perspective, p.VerticalFOV,
                    p.AspectRatio > 0 ? p.AspectRatio : null, p.ZNear, p.ZFar > 0 && float.IsFinite(p.ZFar) ? p.ZFar : null, 0, 0),
                CameraOrthographic o => new SceneCamera(cameraName, world, ProjectionKind.Orthographic, 0, null,
                    o.ZNear, o.ZFar, MathF.Abs(o.XMag), MathF.Abs(o.YMag)),
                _ => throw new SceneException($"'{name}': camera '{cameraName}' has no projection"),
            };
            cameras.Add((camera.LogicalIndex, node.LogicalIndex, result));
        }
    }
}
