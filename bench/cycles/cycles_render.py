# Renders a glTF file with Blender Cycles on the CPU for the Cycles benchmark (bench/RenderNet.Bench -- cycles).
# usage: blender -b --factory-startup --python cycles_render.py -- SCENE.glb OUT.png WIDTH HEIGHT SPP BOUNCES [lambert]
# Unbiased settings, as RenderNet's path tracer: no denoising, no adaptive sampling, no clamping, no glossy filter;
# the world is black and the view transform Standard (plain sRGB). Prints CYCLES_RENDER_S: the render alone, after import.
import bpy, sys, time
import numpy
if not hasattr(numpy, "bool"): numpy.bool = bool  # Blender 3.4's glTF importer uses the removed alias

args = sys.argv[sys.argv.index("--") + 1:]
scene_path, out, w, h, spp, bounces = args[:6]
lambert = "lambert" in args[6:]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.import_scene.gltf(filepath=scene_path)

if lambert:
    # The model-matched variant: glTF's diffuse base is Lambertian, Blender 3.4's Principled v1 diffuse is Burley's
    # (retro-reflective, brighter at grazing angles). Principled BSDFs with no specular layer, no metal and no
    # transmission become a Diffuse BSDF (Lambert) of the same colour, plus their emission.
    for m in bpy.data.materials:
        if not m.use_nodes:
            continue
        nt = m.node_tree
        for p in [n for n in nt.nodes if n.type == "BSDF_PRINCIPLED"]:
            if p.inputs["Metallic"].default_value != 0 or p.inputs["Specular"].default_value != 0 \
                    or p.inputs["Transmission"].default_value != 0 or p.inputs["Metallic"].is_linked:
                continue
            diffuse = nt.nodes.new("ShaderNodeBsdfDiffuse")
            for source, target in ((p.inputs["Base Color"], diffuse.inputs["Color"]), (p.inputs["Normal"], diffuse.inputs["Normal"])):
                if source.is_linked:
                    nt.links.new(source.links[0].from_socket, target)
                elif source.name == "Base Color":
                    target.default_value = source.default_value
            emission = nt.nodes.new("ShaderNodeEmission")
            for name, target in (("Emission", "Color"), ("Emission Strength", "Strength")):
                source = p.inputs[name]
                if source.is_linked:
                    nt.links.new(source.links[0].from_socket, emission.inputs[target])
                else:
                    emission.inputs[target].default_value = source.default_value
            add = nt.nodes.new("ShaderNodeAddShader")
            nt.links.new(diffuse.outputs[0], add.inputs[0])
            nt.links.new(emission.outputs[0], add.inputs[1])
            for link in list(p.outputs[0].links):
                nt.links.new(add.outputs[0], link.to_socket)
sc = bpy.context.scene
sc.camera = [o for o in sc.objects if o.type == "CAMERA"][0]
sc.render.engine = "CYCLES"
c = sc.cycles
c.device = "CPU"
c.samples = int(spp)
c.use_denoising = False
c.use_adaptive_sampling = False
c.max_bounces = c.diffuse_bounces = c.glossy_bounces = c.transmission_bounces = int(bounces)
c.transparent_max_bounces = int(bounces)
c.sample_clamp_direct = c.sample_clamp_indirect = 0
c.blur_glossy = 0
c.caustics_reflective = c.caustics_refractive = True
sc.render.resolution_x, sc.render.resolution_y, sc.render.resolution_percentage = int(w), int(h), 100
sc.view_settings.view_transform = "Standard"
sc.view_settings.look = "None"
sc.render.image_settings.file_format = "PNG"
sc.render.filepath = out
if sc.world is None:
    sc.world = bpy.data.worlds.new("world")
sc.world.use_nodes = True
sc.world.node_tree.nodes["Background"].inputs["Color"].default_value = (0, 0, 0, 1)
start = time.time()
bpy.ops.render.render(write_still=True)
print("CYCLES_RENDER_S %.4f" % (time.time() - start))
